"""The system tray icon and its menu; the main window stands in where there is no tray.

Menu: Ouvrir, Signer des fichiers…, Mes certificats, Traitements distants, Tester la configuration
de mon poste, Quitter. Without a tray (a bare X server, some Wayland desktops) the window is shown
instead and closing it quits, so the user is never left with an invisible assistant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from assistant import APP_NAME
from assistant.i18n import N_, _
from assistant.ui.icons import icon
from assistant.ui.labels import job_title

if TYPE_CHECKING:
    from assistant.jobs.engine import JobEngine
    from assistant.jobs.model import JobEvent
    from assistant.ui.main_window import MainWindow

MENU = (
    (N_("Ouvrir"), "home"),
    (N_("Signer des fichiers…"), "sign"),
    (N_("Mes certificats"), "certificates"),
    (N_("Traitements distants"), "jobs"),
    (N_("Tester la configuration de mon poste"), "diagnostics"),
)
END_MESSAGES = {"succeeded": N_("terminé avec succès"), "failed": N_("en échec"), "cancelled": N_("annulé")}


class TrayController(QObject):
    _engine_event = Signal(object)

    def __init__(self, window: MainWindow, engine: JobEngine) -> None:
        super().__init__(window)
        self.window = window
        self.engine = engine
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.menu = QMenu()
        self.actions: dict[str, QAction] = {}
        for text, page in MENU:
            action = self.menu.addAction(_(text))
            action.triggered.connect(lambda _checked=False, p=page: self.window.show_page(p))
            self.actions[text] = action
        self.menu.addSeparator()
        quit_action = self.menu.addAction(_("Quitter"))
        quit_action.triggered.connect(self.quit)
        self.actions["Quitter"] = quit_action
        self.icon: QSystemTrayIcon | None = None
        self._unsubscribe: Callable[[], None] = _nothing

    def start(self) -> None:
        if not self.available:
            self.window.keep_running_in_tray = False
            self.window.show_and_raise()
            return
        self.icon = QSystemTrayIcon(icon("app"), self)
        self.icon.setToolTip(_("{name} : en ligne").format(name=APP_NAME))
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.icon.show()
        self.window.keep_running_in_tray = True
        self._engine_event.connect(self._notify)
        self._unsubscribe = self.engine.subscribe(self._engine_event.emit)
        news = self.window.home.update_notice
        if news is not None:  # the assistant starts in the tray: say it there, once
            self.icon.showMessage(APP_NAME, news.text, QSystemTrayIcon.MessageIcon.Warning)
            self.window.home.update_notice_seen()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.window.show_page("home")

    def _notify(self, event: JobEvent) -> None:
        state = event.job.state.value
        if event.kind != "state" or self.icon is None:
            return
        if state in END_MESSAGES:
            title = job_title(event.job.title_fr)
            self.icon.showMessage(
                APP_NAME, _("{title} : {outcome}.").format(title=title, outcome=_(END_MESSAGES[state]))
            )

    def quit(self) -> None:
        self.window.keep_running_in_tray = False
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def stop(self) -> None:
        self._unsubscribe()
        if self.icon is not None:
            self.icon.hide()


def _nothing() -> None:
    """Unsubscribe placeholder before start()."""
