"""Small building blocks shared by the pages: titles, status lines, date formatting."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from assistant.i18n import current_language
from assistant.ui.icons import status_icon
from assistant.units import format_size

TITLE_STYLE = "font-size: 17pt; font-weight: bold; color: #1f4e8c;"
SUBTITLE_STYLE = "color: #555;"
SECTION_STYLE = "font-size: 11pt; font-weight: bold; color: #1f4e8c; margin-top: 8px;"
ERROR_STYLE = "color: #c0392b; font-weight: bold;"
STATUS_COLOURS = {"ok": "#2e8b57", "warning": "#c0661a", "error": "#c0392b", "skipped": "#6b7078", "running": "#1f6fb2"}


class ProgressBar(QProgressBar):
    """A progress bar whose new value is painted with the next paint event, like any other widget.

    QProgressBar.setValue repaints at once (a synchronous paint, made for busy loops without an
    event loop); fed by a job's progress events it made the GUI thread paint on every percent,
    up to tens of milliseconds each on a loaded machine while a 1 GB job runs. Here the paint
    is queued (QWidget.update) and merged with the window's other updates.
    """

    def setValue(self, value: int) -> None:
        if value == self.value():
            return
        self.setUpdatesEnabled(False)  # repaint() is then a no-op...
        try:
            super().setValue(value)
        finally:
            self.setUpdatesEnabled(True)  # ...and re-enabling queues an update()


def page_header(title: str, subtitle: str = "") -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 6)
    heading = QLabel(title)
    heading.setObjectName("pageTitle")
    heading.setStyleSheet(TITLE_STYLE)
    layout.addWidget(heading)
    if subtitle:
        sub = QLabel(subtitle)
        sub.setObjectName("pageSubtitle")
        sub.setWordWrap(True)
        sub.setStyleSheet(SUBTITLE_STYLE)
        layout.addWidget(sub)
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setStyleSheet("color: #c9d7ea;")
    layout.addWidget(line)
    return box


def section(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(SECTION_STYLE)
    return label


class StatusLine(QWidget):
    """An icon and a sentence: "✓ État de l'assistant : En ligne"."""

    def __init__(self, status: str = "skipped", text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.icon = QLabel()
        self.icon.setFixedSize(22, 22)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        self.set(status, text)

    def set(self, status: str, text: str) -> None:
        self.status = status
        self.icon.setPixmap(status_icon(status).pixmap(20, 20))
        self.label.setText(text)

    def text(self) -> str:
        return self.label.text()


def fmt_date(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.astimezone().strftime("%d/%m/%Y")


def fmt_datetime(value: str | dt.datetime | None) -> str:
    """ "01/03/2021 - 18:07:06", as the original assistant writes dates of jobs."""
    if value is None or value == "":
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone().strftime("%d/%m/%Y - %H:%M:%S")


def fmt_number(value: float, digits: int = 1) -> str:
    """ "1,5" in French, "1.5" in English."""
    text = f"{value:.{digits}f}"
    return text if current_language() == "en" else text.replace(".", ",")


def fmt_size(size: int) -> str:
    """ "745,6 Ko" in French, "745.6 KB" in English (assistant.units, in the user's language)."""
    return format_size(size, current_language())
