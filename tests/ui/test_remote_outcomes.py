"""A page's verification and diagnostics jobs, followed to what the window shows: the card collapses
to the verification per signature, or to the diagnostics table with a mark per line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.jobs.engine import JobEngine
from assistant.jobs.model import JobState
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import DemoProcess
from tests.ui.conftest import shot


@pytest.fixture
def main_window(qtbot: Any, demo_engine: JobEngine, interaction: QtUserInteraction) -> Iterator[MainWindow]:
    win = MainWindow(demo_engine, None, demo_engine.settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.dispose()


@pytest.mark.parametrize("kind", ["verify", "diagnose"])
def test_remote_job_is_followed_to_its_shown_result(
    qtbot: Any,
    demo_engine: JobEngine,
    main_window: MainWindow,
    demo_platform: DemoProcess,
    kind: str,
    screens: Any,
) -> None:
    job = demo_engine.submit(demo_platform.get(f"/api/descriptors/{kind}"), demo_platform.url)
    page = main_window.jobs
    final = demo_engine.wait(job.id, timeout=120)
    assert final is not None and final.state.terminal
    main_window.show_page("jobs")
    qtbot.waitUntil(lambda: job.id in page.cards and page.cards[job.id].outcome.isVisible(), timeout=10000)
    card = page.cards[job.id]
    lines = card.outcome.text().splitlines()
    if kind == "verify":
        assert final.state in (JobState.SUCCEEDED, JobState.FAILED)
        # One line per file the platform sent, with its verdict (the demo's PDF carries no signature).
        assert lines and lines[0].startswith(("✓ ", "✗ ")), lines
        assert lines[0] == "✗ Acte d'engagement.pdf : Le PDF Acte d'engagement.pdf ne contient aucune signature."
    else:
        assert final.state is JobState.SUCCEEDED, final.error
        marks = [line[0] for line in lines[1:]]
        assert len(marks) >= 5 and set(marks) <= set("✓⚠✗–")
    # The sidebar lists the job with its state and times.
    texts = [main_window.navigation.item(i).text() for i in range(main_window.navigation.count())]
    assert any("Début " in text and "Fin " in text for text in texts)
    shot(main_window, screens, f"remote-{kind}")
