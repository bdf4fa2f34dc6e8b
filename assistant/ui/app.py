"""The desktop application: the tray icon, the main window, and the Qt event loop.

`assistant run` (assistant/commands/run.py) builds the job engine and the bridge, then calls
`run_gui`. The engine's `UserInteraction` should be a `QtUserInteraction` built beforehand with
`make_interaction()` (it creates the QApplication if needed), so that PIN prompts and origin
approvals become dialogs; `run_gui` is given it too, so that the window's jobs page shows the
download folder questions in the jobs' cards. Nothing imports this module but `commands/run.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.ui.application import ensure_application

if TYPE_CHECKING:
    from assistant.bridge.server import BridgeServer
    from assistant.jobs.engine import JobEngine
    from assistant.settings import Settings
    from assistant.ui.interaction import QtUserInteraction


def make_interaction() -> QtUserInteraction:
    """The Qt UserInteraction to give the JobEngine and the bridge (call on the main thread)."""
    from assistant.ui.interaction import QtUserInteraction

    ensure_application()
    return QtUserInteraction()


def run_gui(
    engine: JobEngine,
    bridge: BridgeServer | None,
    settings: Settings,
    demo_url: str | None = None,
    interaction: QtUserInteraction | None = None,
) -> int:
    """Show the tray icon (or the window where there is no tray) and run until "Quitter"."""
    from assistant.ui.main_window import MainWindow
    from assistant.ui.tray import TrayController
    from assistant.ui.trust_offer import offer_at_start

    app = ensure_application()
    questions = interaction.folder_questions if interaction is not None else None
    window = MainWindow(engine, bridge, settings, demo_url=demo_url, folder_questions=questions)
    tray = TrayController(window, engine)
    app.setQuitOnLastWindowClosed(not tray.available)
    tray.start()
    # Asked once, at the first start with a bridge CA (answered "Plus tard" = not asked again).
    offer = offer_at_start(window, bridge)
    if offer is not None:
        offer.finished_callbacks.append(window.home.refresh_trust)
    try:
        return int(app.exec())
    finally:
        tray.stop()
        window.dispose()
