"""Traitements distants: a real download queued by the demo platform (a separate process), live and in history."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from assistant.jobs.engine import JobEngine
from assistant.jobs.model import JobState
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.pages.jobs import NO_JOB, JobsPage
from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import DemoProcess
from tests.ui.conftest import shot


def test_live_progress_cancel_and_history(
    qtbot: Any,
    demo_engine: JobEngine,
    demo_platform: DemoProcess,
    screens: Path,
    interaction: QtUserInteraction,
) -> None:
    page = JobsPage(demo_engine, interaction.folder_questions)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    assert page.none_label.isVisible() and page.none_label.text() == NO_JOB

    # The platform trickles its files so that the download is seen running.
    demo_platform.faults(rate=400_000)
    descriptor = demo_platform.get("/api/descriptors/download?consultation=DEMO-2026-003")
    job = demo_engine.submit(descriptor, demo_platform.url)
    # A page's download first asks where the plis go (tests/ui/test_download_card.py): the proposed folder.
    qtbot.waitUntil(
        lambda: job.id in page.cards and page.cards[job.id].destination.start_button.isVisible(), timeout=30000
    )
    qtbot.mouseClick(page.cards[job.id].destination.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.id in page.cards and page.cards[job.id].speed.isVisible(), timeout=30000)
    card = page.cards[job.id]
    qtbot.waitUntil(lambda: card.element.text().startswith("Élément en cours de téléchargement : pli "), timeout=30000)
    assert not page.none_label.isVisible()
    assert card.title.text() == "Téléchargement des plis chiffrés — En cours"
    assert re.fullmatch(r"Vitesse de téléchargement : \d+ Ko/seconde", card.speed.text()), card.speed.text()
    assert re.fullmatch(r"\d+ %", card.percent.text()), card.percent.text()
    # The platform by its address without scheme (the demo on 127.0.0.1 keeps its port).
    assert f"Origine : {urlsplit(demo_platform.url).netloc}" in card.started.text()
    assert "http" not in card.started.text()
    shot(page, screens, "jobs-running")

    cancel = card.findChild(QPushButton, "jobCancel")
    assert cancel is not None
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    final = demo_engine.wait(job.id, timeout=30)
    assert final is not None and final.state is JobState.CANCELLED
    qtbot.waitUntil(lambda: job.id not in page.cards, timeout=10000)
    assert page.none_label.isVisible()

    # A configuration test started by the user himself, then the history shows both.
    local = demo_engine.submit({"version": 1, "type": "diagnose", "params": {}}, "local")
    assert demo_engine.wait(local.id, timeout=60) is not None
    qtbot.waitUntil(lambda: len(page.history_rows()) == 2 and page.history_rows()[0][4] == "Terminé", timeout=10000)
    rows = page.history_rows()
    assert rows[0][2:] == ["Test de la configuration utilisateur", "Vous-même (cet ordinateur)", "Terminé"]
    assert rows[1][2:4] == ["Téléchargement des plis chiffrés", urlsplit(demo_platform.url).netloc]
    assert rows[1][4] == "Annulé"
    for start, end in (row[:2] for row in rows):
        assert re.fullmatch(r"\d\d/\d\d/\d{4} - \d\d:\d\d:\d\d", start) and re.fullmatch(
            r"\d\d/\d\d/\d{4} - \d\d:\d\d:\d\d", end
        )
    shot(page, screens, "jobs-history")
    page.dispose()
