"""A new version that did not start is rolled back by the launcher, before any window exists: the
window says so once, on Accueil, in the user's language — not again at the next start.

The rollback is the real one (assistant.update.apply on a real install layout whose new version
exits at once); the window is the real main window on Xvfb."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from assistant import i18n
from assistant.jobs.engine import JobEngine
from assistant.settings import Settings
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from assistant.update import apply
from assistant.update.layout import InstallLayout
from tests.ui.conftest import shot


def _fail_an_update(tmp_path: Path) -> None:
    """Version 1.0.0 installed, 2.0.0 staged; 2.0.0 exits with an error instead of starting."""
    root = tmp_path / "app"
    (root / "versions" / "1.0.0").mkdir(parents=True)
    (root / "versions" / "1.0.0" / "assistant").write_text("#!/bin/sh\nexit 0\n")
    (root / "current").symlink_to("versions/1.0.0")
    staged = root / "staged" / "2.0.0"
    staged.mkdir(parents=True)
    (staged / "assistant").write_text("#!/bin/sh\nexit 3\n")
    (staged / "assistant").chmod(0o755)
    (root / "staged" / "pending.json").write_text(json.dumps({"version": "2.0.0"}))
    layout = InstallLayout(root=root)
    assert apply.apply_pending_update(["run"], layout) is None  # rolled back; this version goes on
    assert layout.current_version() == "1.0.0"


def _open(qtbot: Any, engine: JobEngine, settings: Settings, interaction: QtUserInteraction) -> MainWindow:
    window = MainWindow(engine, None, settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def english() -> Iterator[None]:
    before = i18n.current_language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


def test_the_window_says_once_that_an_update_was_rolled_back(
    qtbot: Any,
    tmp_path: Path,
    engine: JobEngine,
    p12_settings: Settings,
    interaction: QtUserInteraction,
    screens: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fail_an_update(tmp_path)
    said = "La mise à jour 2.0.0 n'a pas démarré : retour à la version 1.0.0. Elle ne sera pas réessayée."
    assert said in capsys.readouterr().err  # the launcher's stderr, as before
    window = _open(qtbot, engine, p12_settings, interaction)
    assert window.current_page() == "home"
    home = window.home
    assert home.update_banner.isVisible() and home.update_text.text() == said
    shot(window, screens, "home-update-rolled-back")
    # It stays for this session, across pages, until the user dismisses it.
    window.show_page("sign")
    window.show_page("home")
    assert home.update_banner.isVisible()
    window.dispose()
    # The next start does not repeat it.
    again = _open(qtbot, engine, p12_settings, interaction)
    assert not again.home.update_banner.isVisible() and again.home.update_notice is None
    again.dispose()


def test_the_news_in_english_and_dismissed(
    qtbot: Any,
    english: None,
    tmp_path: Path,
    engine: JobEngine,
    p12_settings: Settings,
    interaction: QtUserInteraction,
) -> None:
    _fail_an_update(tmp_path)
    window = _open(qtbot, engine, p12_settings, interaction)
    home = window.home
    assert home.update_text.text() == "Update 2.0.0 did not start: back to version 1.0.0. It will not be tried again."
    qtbot.mouseClick(home.update_banner.findChild(QPushButton, "updateNoticeDismiss"), Qt.MouseButton.LeftButton)
    assert not home.update_banner.isVisible()
    window.dispose()
