"""Fixtures for the window tests: a real engine with the Qt interaction, screenshots, dialog helpers.

The tests run under Xvfb (tests/run.sh) with real widgets; they click and type like a user and
read back what the screen shows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from assistant.jobs.engine import JobEngine
from assistant.settings import Settings
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from tests import pki


@pytest.fixture
def screens(tmp_path: Path) -> Path:
    folder = tmp_path / "screens"
    folder.mkdir()
    return folder


def shot(widget: QWidget, folder: Path, name: str) -> Path:
    """Save what the widget shows (QWidget.grab) as PNG; the tests then check the file is a real image."""
    QApplication.processEvents()
    path = folder / f"{name}.png"
    assert widget.grab().save(str(path)), f"screenshot {name} failed"
    assert path.stat().st_size > 1000
    return path


def visible_top_level(object_name: str) -> QWidget | None:
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == object_name and widget.isVisible():
            return widget
    return None


def wait_for_dialog(qtbot: object, object_name: str, timeout: float = 15.0) -> QWidget:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = visible_top_level(object_name)
        if found is not None:
            return found
        qtbot.wait(20)  # type: ignore[attr-defined]
    raise AssertionError(f"dialog {object_name} did not appear")


@pytest.fixture
def p12_settings(test_pki: pki.TestPki) -> Settings:
    return Settings(
        pkcs12_files=[
            str(test_pki.signer.files["p12"]),
            str(test_pki.expired.files["p12"]),
            str(test_pki.auth_only.files["p12"]),
        ],
    )


@pytest.fixture
def interaction(qapp: QApplication) -> QtUserInteraction:
    return QtUserInteraction()


@pytest.fixture
def engine(interaction: QtUserInteraction, p12_settings: Settings, tmp_path: Path) -> Iterator[JobEngine]:
    engine = JobEngine(interaction=interaction, settings=p12_settings, journal_path=tmp_path / "journal.sqlite3")
    yield engine
    interaction.invoker.close()
    engine.shutdown(wait=True)


@pytest.fixture
def demo_engine(interaction: QtUserInteraction, tmp_path: Path) -> Iterator[JobEngine]:
    """An engine for jobs against the demo platform (plain HTTP to 127.0.0.1 allowed)."""
    engine = JobEngine(
        interaction=interaction, settings=Settings(), journal_path=tmp_path / "journal.sqlite3", loopback_http=True
    )
    yield engine
    interaction.invoker.close()
    engine.shutdown(wait=True)


@pytest.fixture
def window(
    qtbot: Any, engine: JobEngine, p12_settings: Settings, interaction: QtUserInteraction
) -> Iterator[MainWindow]:
    """The main window at 1024×768 (the smallest screen we design for), on the test engine."""
    win = MainWindow(engine, None, p12_settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(win)
    win.resize(1024, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.dispose()


from tests.signing.conftest import pdfsig_nssdir  # noqa: F401,E402  (fixture of the prepare page test)
