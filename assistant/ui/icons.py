"""The assistant's icons: SVG files in resources/icons/, with a painted fallback.

The fallback keeps the tray and the report readable in a build that lost its resources folder:
a coloured disc per status rather than an empty square.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

#: status name -> fallback colour
COLOURS = {
    "app": "#1f4e8c",
    "status-ok": "#2e8b57",
    "status-error": "#c0392b",
    "status-warning": "#e67e22",
    "status-skipped": "#8a8f98",
    "status-running": "#1f6fb2",
}


def icons_dir() -> Path:
    """resources/icons in a source tree, or beside the executable in a PyInstaller build."""
    bundle = getattr(sys, "_MEIPASS", None)
    candidates = [Path(bundle) / "resources" / "icons"] if bundle else []
    candidates.append(Path(__file__).resolve().parents[2] / "resources" / "icons")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def _painted(name: str, size: int = 64) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(COLOURS.get(name, "#8a8f98")))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(2, 2, size - 4, size - 4)
    painter.end()
    return QIcon(pixmap)


@cache
def icon(name: str) -> QIcon:
    path = icons_dir() / f"{name}.svg"
    if path.is_file():
        loaded = QIcon(str(path))
        if not loaded.isNull() and not loaded.pixmap(16, 16).isNull():
            return loaded
    return _painted(name)


def status_icon(status: str) -> QIcon:
    """ok / warning / error / skipped / running."""
    return icon(f"status-{status}")
