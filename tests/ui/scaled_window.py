"""The window at 200 % as Qt's high-DPI scaling makes it (QT_SCALE_FACTOR=2 must be set before the
QApplication exists, so this runs in its own process: tests/ui/test_scale_200.py starts it under an
Xvfb screen of 2048×1400 and reads the JSON it prints).

Every page, then "Traitements distants" with three download cards of the demo platform (URL as the
first argument): each visible control at least its size hint (tests.ui.test_job_cards.too_small,
and the minimum size hint of every other control) and nothing placed outside the screen. Grabs go
to the folder given as second argument.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

PAGES = ("home", "sign", "verify", "decrypt", "bicle", "certificates", "prepare", "jobs", "diagnostics", "settings")


def main(demo_url: str, out: Path) -> int:
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget

    from assistant.jobs.engine import JobEngine
    from assistant.settings import Settings
    from assistant.ui.application import ensure_application
    from assistant.ui.interaction import QtUserInteraction
    from assistant.ui.main_window import MainWindow
    from tests.ui.test_job_cards import too_small
    from tests.ui.test_keyboard import _too_small as below_minimum

    app = ensure_application()
    screen = app.primaryScreen()
    report: dict[str, Any] = {
        "device_pixel_ratio": screen.devicePixelRatio(),
        "screen": [screen.geometry().width(), screen.geometry().height()],
        "problems": [],
    }
    interaction = QtUserInteraction()
    engine = JobEngine(
        interaction=interaction, settings=Settings(), journal_path=out / "journal.sqlite3", loopback_http=True
    )
    window = MainWindow(engine, None, engine.settings, folder_questions=interaction.folder_questions)
    area = screen.availableGeometry()
    window.move(area.topLeft())
    window.resize(area.size())
    window.show()

    def settle(seconds: float = 0.3) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)

    def off_screen(root: QWidget) -> list[str]:
        """Controls placed (partly) outside the screen; what a scroll area holds may scroll."""
        found = []
        bounds = QRect(screen.geometry())
        for widget in root.findChildren(QWidget):
            if not widget.isVisible() or widget.width() == 0 or widget.height() == 0:
                continue
            parent = widget.parentWidget()
            scrolled = False
            while parent is not None:
                if isinstance(parent, QAbstractScrollArea):
                    scrolled = True
                    break
                parent = parent.parentWidget()
            if scrolled:
                continue
            rect = QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())
            if not bounds.contains(rect):
                found.append(f"{type(widget).__name__}({widget.objectName() or '?'}) at {rect.getRect()}")
        return found

    settle(0.5)
    report["window"] = [window.width(), window.height()]
    for key in PAGES:
        window.show_page(key)
        settle()
        page = window.pages[key]
        lines = too_small(page) + below_minimum(page) + off_screen(window)
        # Qt's own parts of a composite control (a spin box's line edit) follow their control.
        report["problems"] += [f"{key}: {line}" for line in lines if "(qt_" not in line]
        window.grab().save(str(out / f"{key}-200.png"))

    # Three download cards at once, as in tests/ui/test_job_cards.py at 1024×700.
    jobs = []
    for _index in range(3):
        with urllib.request.urlopen(demo_url + "/api/descriptors/download?consultation=DEMO-2026-003") as answer:
            jobs.append(engine.submit(json.loads(answer.read()), demo_url))
    page = window.jobs

    def asking() -> int:
        cards = [page.cards.get(job.id) for job in jobs]
        return sum(
            1 for c in cards if c is not None and c.destination is not None and c.destination.start_button.isVisible()
        )

    deadline = time.monotonic() + 60
    while asking() < 2 and time.monotonic() < deadline:
        settle(0.1)
    settle()
    report["cards_asking"] = asking()
    for job in jobs:
        card = page.cards.get(job.id)
        if card is None:
            report["problems"].append(f"no card for job {job.id}")
            continue
        report["problems"] += [f"card: {line}" for line in too_small(card)]
        if card.height() < card.minimumSizeHint().height():
            report["problems"].append(f"card {job.id}: height {card.height()} < {card.minimumSizeHint().height()}")
    report["problems"] += [f"jobs: {line}" for line in too_small(window) + off_screen(window)]
    window.grab().save(str(out / "three-cards-200.png"))
    for job in jobs:
        engine.cancel(job.id)
    window.dispose()
    interaction.invoker.close()
    engine.shutdown(wait=True)
    QApplication.processEvents()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
