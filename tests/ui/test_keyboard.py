"""Keyboard use: Tab alone reaches every control of every page (an exclusive group of radio
buttons is one stop, its choices moved with the arrows), and the control that has the focus is
drawn with the focus frame; at 200 % (twice the font) the main pages keep every control at least
at its size hint on a 2048×1400 screen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from assistant.jobs.engine import JobEngine
from assistant.settings import Settings
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import FOCUS_STYLE, PAGES, MainWindow

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView)


def _controls(page: QWidget) -> list[QWidget]:
    found = []
    for widget in page.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or not widget.isVisibleTo(page) or not widget.isEnabled():
            continue
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or widget.objectName().startswith("qt_"):
            continue
        if type(widget.parent()).__name__ in ("QScrollBar", "QHeaderView") or type(widget).__name__ in ("QScrollBar",):
            continue
        if isinstance(widget, QRadioButton) and widget.autoExclusive() and not widget.isChecked():
            group = widget.group()
            if group is None or any(b.isChecked() for b in group.buttons()):
                continue  # one Tab stop per group: the checked choice
        if isinstance(widget, QLineEdit) and isinstance(widget.parent(), QComboBox):
            continue
        found.append(widget)
    return found


def _tab_through(qtbot: Any, window: MainWindow, steps: int = 250) -> set[int]:
    reached: set[int] = set()
    for _step in range(steps):
        focused = QApplication.focusWidget()
        assert focused is not None, "the focus was lost"
        reached.add(id(focused))
        QTest.keyClick(focused, Qt.Key.Key_Tab)
    return reached


def test_tab_reaches_every_control_of_every_page(qtbot: Any, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    missed = []
    for key, _label in PAGES:
        window.show_page(key)
        QApplication.processEvents()
        window.navigation.setFocus()
        reached = _tab_through(qtbot, window)
        assert id(window.navigation) in reached
        controls = _controls(window.pages[key])
        assert controls, key
        for widget in controls:
            if id(widget) not in reached:
                text = widget.text() if isinstance(widget, QAbstractButton) else ""
                missed.append(f"{key}: {type(widget).__name__}({widget.objectName() or text or '?'})")
    assert missed == [], "\n".join(missed)


def test_the_focused_control_has_a_visible_frame(qtbot: Any, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.show_page("decrypt")
    button = window.decrypt.findChild(QAbstractButton, "decryptBrowse")
    assert button is not None
    before = button.grab().toImage()
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(button.hasFocus, timeout=2000)
    after = button.grab().toImage()
    assert before != after  # the frame is drawn
    corner = after.pixelColor(1, after.height() // 2)
    assert (corner.red(), corner.green(), corner.blue()) == (0xD9, 0x82, 0x00), corner.name()
    assert "#d98200" in FOCUS_STYLE


def _too_small(root: QWidget) -> list[str]:
    problems = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisible() or not isinstance(widget, (*CONTROLS,)):
            continue
        if type(widget.parent()).__name__ in ("QScrollBar", "QHeaderView") or widget.objectName().startswith("qt_"):
            continue
        if isinstance(widget, QAbstractItemView):
            continue  # lists and tables scroll
        hint, size = widget.minimumSizeHint(), widget.size()
        if size.width() < hint.width() or size.height() < hint.height():
            problems.append(
                f"{type(widget).__name__}({widget.objectName() or '?'}) {size.width()}x{size.height()} "
                f"< {hint.width()}x{hint.height()}"
            )
    return problems


def test_main_pages_at_200_percent(
    qtbot: Any, engine: JobEngine, p12_settings: Settings, interaction: QtUserInteraction
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    original = app.font()
    doubled = QFont(original)
    doubled.setPointSizeF(original.pointSizeF() * 2)
    app.setFont(doubled)
    try:
        window = MainWindow(engine, None, p12_settings, folder_questions=interaction.folder_questions)
        qtbot.addWidget(window)
        # 200 % on a 2048×1400 screen: the same room, in device-independent pixels, as 1024×700 at
        # 100 %, with twice the text; the window is given the whole screen.
        window.resize(2048, 1400)
        window.show()
        qtbot.waitExposed(window)
        assert window.font().pointSizeF() == doubled.pointSizeF()
        problems = []
        for key in ("home", "sign", "verify", "decrypt", "bicle", "certificates", "jobs", "diagnostics", "settings"):
            window.show_page(key)
            QApplication.processEvents()
            problems += [f"{key}: {line}" for line in _too_small(window.pages[key])]
        assert problems == [], "\n".join(problems)
        window.dispose()
    finally:
        app.setFont(original)
