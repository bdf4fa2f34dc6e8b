"""The window speaks the user's language: English everywhere with ASSISTANT_LANG=en (no French
left on any control), French with Qt's own buttons and dialogs in French too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTableWidget,
    QWidget,
)

from assistant import APP_NAME, i18n
from assistant.jobs.engine import JobEngine
from assistant.settings import Settings
from assistant.ui.application import install_qt_translations
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow

#: What gives French away: its accented letters, guillemets, and its most common small words.
FRENCH = re.compile(r"[éèêàâçùûôîœ«»]|\b(le|la|les|des|du|une|votre|vos|aucun|aucune|fichier|et|pour)\b", re.IGNORECASE)


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(object name or class, text) of everything a person can read on the widget tree."""
    found: list[tuple[str, str]] = []

    def add(widget: QWidget, text: str) -> None:
        if text:
            found.append((widget.objectName() or type(widget).__name__, text))

    for widget in [root, *root.findChildren(QWidget)]:
        add(widget, widget.toolTip())
        add(widget, widget.accessibleName())
        if widget.isWindow():
            add(widget, widget.windowTitle())
        if isinstance(widget, (QLabel, QAbstractButton)):
            add(widget, widget.text())
        elif isinstance(widget, QLineEdit):
            add(widget, widget.placeholderText())
        elif isinstance(widget, QListWidget):
            for row in range(widget.count()):
                add(widget, widget.item(row).text())
        if isinstance(widget, QTableWidget):
            for column in range(widget.columnCount()):
                header = widget.horizontalHeaderItem(column)
                add(widget, header.text() if header is not None else "")
    return found


@pytest.fixture
def english(qapp: QApplication) -> Iterator[None]:
    before = i18n.current_language()
    i18n.set_language("en")
    install_qt_translations(qapp, "en")
    yield
    i18n.set_language(before)
    install_qt_translations(qapp, before)


def test_the_window_in_english_has_no_french_left(
    qtbot: Any, english: None, interaction: QtUserInteraction, tmp_path: Any
) -> None:
    engine = JobEngine(interaction=interaction, settings=Settings(), journal_path=tmp_path / "journal.sqlite3")
    window = MainWindow(engine, None, Settings(), folder_questions=interaction.folder_questions)
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitExposed(window)
        texts = visible_texts(window)
        assert ("navigation", "Home") in texts and ("navigation", "Remote jobs") in texts
        french = [(name, text) for name, text in texts if FRENCH.search(text.replace(APP_NAME, ""))]
        assert french == []
    finally:
        window.dispose()
        interaction.invoker.close()
        engine.shutdown(wait=True)


def test_qt_own_buttons_follow_the_language(qapp: QApplication) -> None:
    # Qt's standard buttons (and its file dialogs) come from the qtbase catalogue PySide6 ships.
    before = i18n.current_language()
    try:
        assert install_qt_translations(qapp, "fr")
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel | QDialogButtonBox.StandardButton.Open)
        texts = {button.text().replace("&", "") for button in box.buttons()}
        assert texts == {"Annuler", "Ouvrir"}
        assert install_qt_translations(qapp, "en")
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel | QDialogButtonBox.StandardButton.Open)
        assert {button.text().replace("&", "") for button in box.buttons()} == {"Cancel", "Open"}
    finally:
        install_qt_translations(qapp, before)


def test_the_french_detector_sees_french() -> None:
    # The English test above can fail: the same detector finds the French source strings.
    assert FRENCH.search("Aucun traitement distant n'est actuellement en cours d'exécution.")
    assert FRENCH.search("Ajouter un fichier…")
