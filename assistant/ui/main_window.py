"""The main window: a navigation column on the left, one page at a time on the right.

Pages: Accueil, Mes certificats, Signer, Traitements distants, Test de configuration, in the order
and words of the original assistant. Closing the window leaves the assistant running in the tray
(the platforms still reach it); "Quitter" in the tray menu ends it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
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
from assistant.bridge.origins import OriginRegistry
from assistant.i18n import N_, _
from assistant.jobs.model import JobEvent
from assistant.settings import Settings
from assistant.ui.folder_questions import FolderQuestions
from assistant.ui.icons import icon
from assistant.ui.invoker import GuiInvoker
from assistant.ui.labels import job_title, state_label
from assistant.ui.pages.bicle_wizard import BicleWizard
from assistant.ui.pages.certificates import CertificatesPage
from assistant.ui.pages.decrypt import DecryptPage
from assistant.ui.pages.diagnostics import DiagnosticsPage
from assistant.ui.pages.home import HomePage
from assistant.ui.pages.jobs import JobsPage
from assistant.ui.pages.prepare import PreparePage
from assistant.ui.pages.settings import SettingsPage
from assistant.ui.pages.sign_wizard import SignWizard
from assistant.ui.pages.verify import VerifyPage
from assistant.ui.pin_dialog import QtPinCallback

if TYPE_CHECKING:
    from assistant.bridge.server import BridgeServer
    from assistant.jobs.engine import JobEngine

#: (page key, navigation label, indented under the heading above it); a key "" is a heading.
#: The original assistant's sidebar; "Préparer mon dépôt" has its own line.
NAVIGATION = (
    ("home", N_("Accueil"), False),
    ("", N_("Applications et outils locaux"), False),
    ("sign", N_("Signer"), True),
    ("verify", N_("Vérifier une signature"), True),
    ("decrypt", N_("Déchiffrement hors ligne"), True),
    ("bicle", N_("Bi-clés de chiffrement"), True),
    ("certificates", N_("Mes certificats"), True),
    ("prepare", N_("Préparer mon dépôt"), False),
    ("jobs", N_("Traitements distants"), False),
    ("diagnostics", N_("Test de configuration"), False),
    ("settings", N_("Options avancées"), False),
)
#: (page key, label) of the pages, in the sidebar's order
PAGES = tuple((key, label) for key, label, _indented in NAVIGATION if key)
#: How many jobs the sidebar lists under "Traitements distants" (the most recent first).
SIDEBAR_JOBS = 4
KEY_ROLE = Qt.ItemDataRole.UserRole

NAV_STYLE = """
QListWidget#navigation { background: #1f4e8c; color: white; border: none; font-size: 11pt; outline: 0; }
QListWidget#navigation::item { padding: 10px 14px; }
QListWidget#navigation::item:selected { background: #f2f6fb; color: #1f4e8c; font-weight: bold; }
QListWidget#navigation::item:hover:!selected { background: #2a5fa3; }
QListWidget#navigation::item:disabled { color: #b9cbe6; font-size: 9pt; padding: 12px 14px 2px 14px; }
QListWidget#navigation:focus { border: 2px solid #ffd166; }
"""
#: A visible keyboard focus on the pages: a thick amber frame on the control that has it, on top
#: of the platform style's thin dotted one (which some styles do not draw at all).
FOCUS_STYLE = """
QPushButton:focus, QToolButton:focus, QLineEdit:focus, QComboBox:focus, QSpinBox:focus,
QAbstractItemView:focus, QPlainTextEdit:focus, QTextEdit:focus {
    border: 2px solid #d98200; border-radius: 3px;
}
QPushButton:focus { background: #fff4dc; padding: 4px 10px; }
QCheckBox:focus, QRadioButton:focus { border: 2px solid #d98200; border-radius: 3px; padding: 1px; }
"""


def _refit_focus(old: QWidget | None, new: QWidget | None) -> None:
    for widget in (old, new):
        if widget is not None:
            widget.updateGeometry()


class MainWindow(QMainWindow):
    _engine_event = Signal(object)

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
        left.setFixedWidth(260)
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
        self.navigation.setAccessibleName(_("Navigation"))
        # Long names (English, a job's two lines) wrap instead of pushing a horizontal scroll bar.
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.navigation.setWordWrap(True)
        self.navigation.setTextElideMode(Qt.TextElideMode.ElideNone)
        for key, label, indented in NAVIGATION:
            item = QListWidgetItem(("    " if indented else "") + _(label))
            item.setData(KEY_ROLE, key)
            if not key:
                item.setFlags(Qt.ItemFlag.NoItemFlags)  # a heading: neither selectable nor focusable
            self.navigation.addItem(item)
        self._job_items: dict[str, QListWidgetItem] = {}
        left_layout.addWidget(self.navigation, 1)
        row.addWidget(left)

        self.stack = QStackedWidget()
        self.stack.setContentsMargins(16, 12, 16, 12)
        holder = QWidget()
        holder.setObjectName("pageArea")
        holder.setStyleSheet(FOCUS_STYLE)
        # The focus frame is thicker than a field's own (2 px): at 200 % the focused field then
        # needs 2 more pixels than the layout gave it; the layout is told at each focus change.
        app = QApplication.instance()
        if isinstance(app, QApplication) and not app.property("amp-refit-focus"):
            app.setProperty("amp-refit-focus", True)  # once per application, however many windows
            app.focusChanged.connect(_refit_focus)
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(18, 14, 18, 14)
        holder_layout.addWidget(self.stack)
        row.addWidget(holder, 1)
        self.setCentralWidget(central)

        platform_url = demo_url or next(iter(self._approved()), "")
        self.home = HomePage(bridge, settings, self.show_page, demo_url)
        self.certificates = CertificatesPage(settings, self.pin_callback)
        self.sign = SignWizard(engine, settings)
        self.jobs = JobsPage(engine, folder_questions, platform_names=settings.platform_names)
        self.diagnostics = DiagnosticsPage(settings, platform_url)
        self.pages: dict[str, QWidget] = {
            "home": self.home,
            "certificates": self.certificates,
            "sign": self.sign,
            "prepare": PreparePage(settings, self.pin_callback),
            "jobs": self.jobs,
            "diagnostics": self.diagnostics,
        }
        self.verify = VerifyPage(engine)
        self.decrypt = DecryptPage(engine)
        self.settings_page = SettingsPage(settings, self._approved, self._revoke)
        self.pages.update({"verify": self.verify, "decrypt": self.decrypt, "settings": self.settings_page})
        self.bicle = BicleWizard(engine)
        self.pages["bicle"] = self.bicle
        for key, _label in PAGES:
            self.stack.addWidget(self.pages[key])
        self._certificates_listed = False
        self.navigation.currentRowChanged.connect(self._on_navigation)
        self.navigation.setCurrentRow(0)
        # "Traitements distants" lists the jobs live (Début, Fin, state), as the original does.
        self._engine_event.connect(self._on_job_event)
        self._unsubscribe = engine.subscribe(self._engine_event.emit)

    def _approved(self) -> list[str]:
        if self.bridge is not None:
            return list(self.bridge.registry.list())
        return list(self.settings.approved_origins)

    def _revoke(self, origin: str) -> None:
        registry = self.bridge.registry if self.bridge is not None else OriginRegistry()
        registry.revoke(origin)

    def _row_of(self, key: str) -> int:
        return next(i for i in range(self.navigation.count()) if self.navigation.item(i).data(KEY_ROLE) == key)

    def _on_job_event(self, event: JobEvent) -> None:
        job = event.job
        item = self._job_items.get(job.id)
        if item is None:
            if job.state.terminal:
                return
            item = QListWidgetItem()
            item.setData(KEY_ROLE, f"job:{job.id}")
            self.navigation.insertItem(self._row_of("jobs") + 1, item)
            self._job_items[job.id] = item
            for old_id in list(self._job_items)[:-SIDEBAR_JOBS]:
                old = self._job_items.pop(old_id)
                self.navigation.takeItem(self.navigation.row(old))
        started = job.started_at or job.created_at
        when = _("Début {start}").format(start=started.astimezone().strftime("%H:%M:%S"))
        if job.ended_at is not None:
            when += "\n    " + _("Fin {end}").format(end=job.ended_at.astimezone().strftime("%H:%M:%S"))
        text = f"    {job_title(job.title_fr)}\n    {state_label(job.state.value)}\n    {when}"
        if item.text() != text:  # progress events change nothing here: no relayout of the list
            item.setText(text)
            item.setToolTip(f"{job_title(job.title_fr)} — {state_label(job.state.value)}\n{when.replace('    ', '')}")

    def _on_navigation(self, row: int) -> None:
        if row < 0:
            return
        key = str(self.navigation.item(row).data(KEY_ROLE))
        if key.startswith("job:"):
            card = self.jobs.cards.get(key[4:])
            key = "jobs"
            self.stack.setCurrentWidget(self.jobs)
            if card is not None:
                self.jobs.cards_scroll.ensureWidgetVisible(card)
            return
        self.stack.setCurrentWidget(self.pages[key])
        if key == "home":
            self.home.refresh()
        elif key == "certificates" and not self._certificates_listed:
            self._certificates_listed = True
            self.certificates.refresh()

    def show_page(self, key: str) -> None:
        """Bring the window forward on a page ("home", "certificates", "sign", "jobs", "diagnostics")."""
        index = self._row_of(key)
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
        key = str(self.navigation.currentItem().data(KEY_ROLE))
        return "jobs" if key.startswith("job:") else key

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.keep_running_in_tray:
            event.ignore()
            self.hide()
            return
        super().closeEvent(event)

    def dispose(self) -> None:
        """Stop listening to the engine and release waiting workers (before the engine shuts down)."""
        self.invoker.close()
        self._unsubscribe()
        self.sign.dispose()
        self.jobs.dispose()
        self.verify.dispose()
        self.decrypt.dispose()
        self.bicle.dispose()
