"""The main window: a navigation column on the left, one page at a time on the right.

Pages: Accueil, Mes certificats, Signer, Traitements distants, Test de configuration, in the order
and words of the original assistant. Closing the window leaves the assistant running in the tray
(the platforms still reach it); "Quitter" in the tray menu ends it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from assistant import APP_NAME, __version__
from assistant.i18n import N_, _
from assistant.settings import Settings
from assistant.ui.folder_questions import FolderQuestions
from assistant.ui.icons import icon
from assistant.ui.invoker import GuiInvoker
from assistant.ui.pages.certificates import CertificatesPage
from assistant.ui.pages.diagnostics import DiagnosticsPage
from assistant.ui.pages.home import HomePage
from assistant.ui.pages.jobs import JobsPage
from assistant.ui.pages.prepare import PreparePage
from assistant.ui.pages.sign_wizard import SignWizard
from assistant.ui.pin_dialog import QtPinCallback

if TYPE_CHECKING:
    from assistant.bridge.server import BridgeServer
    from assistant.jobs.engine import JobEngine

#: (page key, navigation label)
PAGES = (
    ("home", N_("Accueil")),
    ("certificates", N_("Mes certificats")),
    ("sign", N_("Signer")),
    ("prepare", N_("Préparer mon dépôt")),
    ("jobs", N_("Traitements distants")),
    ("diagnostics", N_("Test de configuration")),
)

NAV_STYLE = """
QListWidget#navigation { background: #1f4e8c; color: white; border: none; font-size: 11pt; outline: 0; }
QListWidget#navigation::item { padding: 10px 14px; }
QListWidget#navigation::item:selected { background: #f2f6fb; color: #1f4e8c; font-weight: bold; }
QListWidget#navigation::item:hover:!selected { background: #2a5fa3; }
"""


class MainWindow(QMainWindow):
    def __init__(
        self,
        engine: JobEngine,
        bridge: BridgeServer | None,
        settings: Settings,
        *,
        demo_url: str | None = None,
        folder_questions: FolderQuestions | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"{APP_NAME} ({__version__})")
        self.setWindowIcon(icon("app"))
        self.setMinimumSize(QSize(800, 600))
        self.resize(1024, 720)
        self.engine = engine
        self.bridge = bridge
        self.settings = settings
        self.keep_running_in_tray = False
        self.invoker = GuiInvoker()
        self.pin_callback = QtPinCallback(self.invoker, self)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)

        left = QWidget()
        left.setStyleSheet("background: #1f4e8c;")
        left.setFixedWidth(230)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 12, 0, 12)
        version = _("Version {version}").format(version=__version__)
        brand = QLabel(f"<b>{APP_NAME}</b><br><span style='font-size:9pt'>{version}</span>")
        brand.setStyleSheet("color: white; padding: 4px 14px 14px 14px; font-size: 12pt;")
        brand.setWordWrap(True)
        left_layout.addWidget(brand)
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setStyleSheet(NAV_STYLE)
        for _key, label in PAGES:
            self.navigation.addItem(QListWidgetItem(_(label)))
        left_layout.addWidget(self.navigation, 1)
        row.addWidget(left)

        self.stack = QStackedWidget()
        self.stack.setContentsMargins(16, 12, 16, 12)
        holder = QWidget()
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(18, 14, 18, 14)
        holder_layout.addWidget(self.stack)
        row.addWidget(holder, 1)
        self.setCentralWidget(central)

        platform_url = demo_url or next(iter(self._approved()), "")
        self.home = HomePage(bridge, settings, self.show_page, demo_url)
        self.certificates = CertificatesPage(settings, self.pin_callback)
        self.sign = SignWizard(engine, settings)
        self.jobs = JobsPage(engine, folder_questions)
        self.diagnostics = DiagnosticsPage(settings, platform_url)
        self.pages: dict[str, QWidget] = {
            "home": self.home,
            "certificates": self.certificates,
            "sign": self.sign,
            "prepare": PreparePage(settings, self.pin_callback),
            "jobs": self.jobs,
            "diagnostics": self.diagnostics,
        }
        for key, _label in PAGES:
            self.stack.addWidget(self.pages[key])
        self._certificates_listed = False
        self.navigation.currentRowChanged.connect(self._on_navigation)
        self.navigation.setCurrentRow(0)

    def _approved(self) -> list[str]:
        if self.bridge is not None:
            return list(self.bridge.registry.list())
        return list(self.settings.approved_origins)

    def _on_navigation(self, row: int) -> None:
        if row < 0:
            return
        key = PAGES[row][0]
        self.stack.setCurrentWidget(self.pages[key])
        if key == "home":
            self.home.refresh()
        elif key == "certificates" and not self._certificates_listed:
            self._certificates_listed = True
            self.certificates.refresh()

    def show_page(self, key: str) -> None:
        """Bring the window forward on a page ("home", "certificates", "sign", "jobs", "diagnostics")."""
        index = next(i for i, (name, _label) in enumerate(PAGES) if name == key)
        if self.navigation.currentRow() == index:
            self._on_navigation(index)  # already there: bring its content up to date
        else:
            self.navigation.setCurrentRow(index)
        self.show_and_raise()

    def show_and_raise(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def current_page(self) -> str:
        return PAGES[self.navigation.currentRow()][0]

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.keep_running_in_tray:
            event.ignore()
            self.hide()
            return
        super().closeEvent(event)

    def dispose(self) -> None:
        """Stop listening to the engine and release waiting workers (before the engine shuts down)."""
        self.invoker.close()
        self.sign.dispose()
        self.jobs.dispose()

