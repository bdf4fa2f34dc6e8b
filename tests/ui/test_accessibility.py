"""Every control of every page has a name a screen reader can say, and can take the keyboard focus.

The test walks the widget tree of the main window (each page of the sidebar): a button or a check
box is named by its text; a field, a list, a table or a combo box needs an accessible name or a
label that is its buddy (QFormLayout rows are)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from assistant.ui.main_window import PAGES, MainWindow


def _inside_combo_popup(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox) or type(parent).__name__ == "QComboBoxPrivateContainer":
            return True
        parent = parent.parentWidget()
    return False


def unnamed_controls(root: QWidget) -> list[str]:
    buddies = {id(label.buddy()) for label in root.findChildren(QLabel) if label.buddy() is not None}
    problems = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView)):
            continue
        if widget.parent() is not None and type(widget.parent()).__name__ in ("QScrollBar", "QHeaderView", "QTabBar"):
            continue
        if type(widget).__name__ in ("QScrollBar", "QHeaderView") or widget.objectName().startswith("qt_"):
            continue
        if _inside_combo_popup(widget):  # a combo box's own list, named by the combo box
            continue
        if isinstance(widget, QAbstractButton) and widget.text().strip():
            named = True
        else:
            named = bool(widget.accessibleName().strip()) or id(widget) in buddies
        if not named:
            problems.append(f"{type(widget).__name__}({widget.objectName() or '?'}) has no accessible name")
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus and not isinstance(widget, QAbstractItemView):
            problems.append(f"{type(widget).__name__}({widget.objectName() or '?'}) cannot take the keyboard focus")
    return problems


def test_every_control_has_an_accessible_name(qtbot: Any, window: MainWindow) -> None:
    problems = []
    for key, _label in PAGES:
        window.show_page(key)
        problems += [f"{key}: {line}" for line in unnamed_controls(window.pages[key])]
    problems += [f"sidebar: {line}" for line in unnamed_controls(window.navigation.parentWidget())]
    assert problems == [], "\n".join(problems)
