"""Mes certificats: every certificate the assistant can reach, with its verdict and the reasons.

The list is built off the GUI thread (a card reader may take a second to answer) and never asks for
a PIN; a .p12 file whose certificate is itself encrypted is listed once its password has been typed
(here, when the file is added, or at its first use).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from assistant.i18n import N_, _, localized
from assistant.keystores.base import PinCallback, PinRequest, no_pin
from assistant.settings import Settings
from assistant.ui.tasks import run_in_background
from assistant.ui.widgets import fmt_date, page_header

COLUMNS = (N_("Certificat"), N_("Expire le"), N_("Magasin"), N_("Conformité"))
VERDICT_COLUMN = 3
VERDICT_COLOURS = {
    "qualified_signature": "#2e8b57",
    "signature": "#1f6fb2",
    "seal": "#c0661a",
    "encryption": "#6b4fa0",
}


def verdict_colour(category: str) -> str:
    return VERDICT_COLOURS.get(category, "#c0392b")


class CertificatesPage(QWidget):
    #: emitted on the GUI thread once a listing is shown (argument: number of certificates)
    loaded = Signal(int)
    #: emitted on the GUI thread when an import into the system store ends (argument: French message)
    imported = Signal(str)

    def __init__(self, settings: Settings, pin_callback: PinCallback, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.pin_callback = pin_callback
        self.entries: list[Any] = []
        self.warnings: list[Any] = []
        self._loading = False

        layout = QVBoxLayout(self)
        layout.addWidget(
            page_header(
                _("Mes certificats"),
                _(
                    "Les certificats de vos cartes à puce, clés USB, du magasin du système et de vos fichiers .p12, "
                    "avec leur conformité pour les marchés publics."
                ),
            )
        )
        buttons = QHBoxLayout()
        self.refresh_button = QPushButton(_("Actualiser"))
        self.refresh_button.setObjectName("refreshCertificates")
        self.refresh_button.clicked.connect(self.refresh)
        self.import_button = QPushButton(_("Ajouter un fichier de certificat (.p12/.pfx)…"))
        self.import_button.setObjectName("importPkcs12")
        self.import_button.clicked.connect(self._choose_pkcs12)
        self.import_system_button = QPushButton(_("Importer dans le magasin du système…"))
        self.import_system_button.setObjectName("importIntoSystemStore")
        self.import_system_button.setToolTip(
            _(
                "Importe le certificat et sa clé d'un fichier .p12/.pfx dans le magasin de certificats de Chrome "
                "et des applications (base NSS), comme le demandent les guides des plateformes."
            )
        )
        self.import_system_button.clicked.connect(self._choose_pkcs12_for_import)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.import_system_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        # On its own line: beside the buttons it left them too little room at 1024 px (and 200 %).
        self.state = QLabel("")
        self.state.setObjectName("certificatesState")
        self.state.setWordWrap(True)
        layout.addWidget(self.state)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("certificateTable")
        self.table.setAccessibleName(_("Mes certificats"))
        self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(VERDICT_COLUMN, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(VERDICT_COLUMN, 240)
        self.table.itemSelectionChanged.connect(self._show_selected)
        splitter.addWidget(self.table)
        self.details = QTextBrowser()
        self.details.setObjectName("certificateDetails")
        self.details.setOpenExternalLinks(False)
        splitter.addWidget(self.details)
        splitter.setSizes([260, 220])
        layout.addWidget(splitter, 1)

        self.warning_label = QLabel("")
        self.warning_label.setObjectName("storeWarnings")
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #8a5a00;")
        layout.addWidget(self.warning_label)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self, pin_callback: PinCallback | None = None) -> None:
        """List every store in the background; `pin_callback` only when a password is expected."""
        if self._loading:
            return
        self._loading = True
        self.refresh_button.setEnabled(False)
        self.state.setText(_("Recherche des certificats…"))
        settings = self.settings
        callback = pin_callback or no_pin

        def work(_progress: object) -> Any:
            from assistant.keystores.inventory import list_certificates

            return list_certificates(callback, settings)

        run_in_background(work, self._show, self._failed, name="inventory")

    def _failed(self, exc: Exception) -> None:
        self._loading = False
        self.refresh_button.setEnabled(True)
        message = getattr(exc, "message", None) or f"{type(exc).__name__}"
        self.state.setText("")
        self.warning_label.setText(
            _("La liste des certificats n'a pas pu être établie : {reason}").format(reason=message)
        )
        self.loaded.emit(0)

    def _show(self, inventory: Any) -> None:
        self._loading = False
        self.refresh_button.setEnabled(True)
        self.entries = list(inventory.entries)
        self.warnings = list(inventory.warnings)
        self.table.clearSelection()
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            verdict = entry.verdict
            cells = [
                entry.subject_name + (f" — {entry.organization}" if entry.organization else ""),
                fmt_date(entry.not_after),
                ", ".join(s.label for s in entry.stores),
                _capitalised(localized(verdict.label, verdict.label_en)),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column == VERDICT_COLUMN:
                    item.setForeground(QColor(verdict_colour(verdict.category.value)))
                self.table.setItem(row, column, item)
        count = len(self.entries)
        self.state.setText(f"{count} certificat(s)" if count else _("Aucun certificat trouvé"))
        self.warning_label.setText("\n".join(f"⚠ {w.message_fr}" for w in self.warnings))
        self.table.resizeRowsToContents()
        if self.entries:
            self.table.selectRow(0)
            self._show_selected()
        else:
            self.details.setHtml(
                _(
                    "<p>Aucun certificat n'a été trouvé. Insérez votre carte ou votre clé USB de signature, "
                    "ou ajoutez votre fichier de certificat (.p12/.pfx).</p>"
                )
            )
        self.loaded.emit(count)

    # -- details ---------------------------------------------------------------------------

    def _show_selected(self) -> None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        if not rows:
            return
        entry = self.entries[min(rows)]
        self.details.setHtml(details_html(entry))

    # -- PKCS#12 files ---------------------------------------------------------------------

    def _choose_pkcs12(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            _("Ajouter un fichier de certificat"),
            str(Path.home()),
            _("Certificats PKCS#12 (*.p12 *.pfx);;Tous les fichiers (*)"),
        )
        if path:
            self.add_pkcs12(Path(path))

    def _choose_pkcs12_for_import(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            _("Importer un certificat dans le magasin du système"),
            str(Path.home()),
            _("Certificats PKCS#12 (*.p12 *.pfx)"),
        )
        if path:
            self.import_into_system_store(Path(path))

    def import_into_system_store(self, path: Path) -> None:
        """Import the file's key and certificate into the user's NSS database, off the GUI thread.

        The file's password (and the database's, if it has one) is asked through the PIN dialog and
        used for parsing only; nothing is kept.
        """
        self.import_system_button.setEnabled(False)
        self.state.setText(_("Import de {name}…").format(name=path.name))
        callback = self.pin_callback

        def work(_progress: object) -> str:
            from assistant.keystores.importer import import_p12, open_target_store

            store = open_target_store("nss", callback)
            try:
                result = import_p12(path, store, callback)
            finally:
                store.close()
            if result.already_present:
                return _("Le certificat « {name} » est déjà dans « {store} ».").format(
                    name=result.object_label, store=result.store_label
                )
            return _("Certificat « {name} » importé dans « {store} ».").format(
                name=result.object_label, store=result.store_label
            )

        def done(message: str) -> None:
            self.import_system_button.setEnabled(True)
            self.warning_label.setText(message)
            self.imported.emit(message)
            self.refresh()

        def failed(exc: Exception) -> None:
            self.import_system_button.setEnabled(True)
            self.state.setText("")
            message = _("L'import a échoué : {reason}").format(
                reason=getattr(exc, "message", None) or type(exc).__name__
            )
            self.warning_label.setText(message)
            self.imported.emit(message)

        run_in_background(work, done, failed, name="import-p12")

    def add_pkcs12(self, path: Path) -> None:
        """Register the file in the settings, then list again asking its password once (and only its)."""
        path = path.expanduser().resolve()
        stored = Settings.load()
        if str(path) not in stored.pkcs12_files:
            stored.pkcs12_files.append(str(path))
            stored.save()
        if str(path) not in self.settings.pkcs12_files:
            self.settings.pkcs12_files.append(str(path))
        name = path.name
        asker = self.pin_callback

        def only_this_file(request: PinRequest) -> str | None:
            return asker(request) if request.store_label == name else None

        self.refresh(only_this_file)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def details_html(entry: Any) -> str:
    verdict = entry.verdict
    esc = html.escape
    colour = verdict_colour(verdict.category.value)
    lines = [
        f"<h3 style='margin:0'>{esc(entry.subject_name)}</h3>",
        f"<p style='color:{colour};font-weight:bold;margin:4px 0'>{esc(_capitalised(localized(verdict.label, verdict.label_en)))}</p>",
        "<ul style='margin-top:2px'>",
    ]
    for reason in verdict.reasons:
        mark = "✔" if reason.ok else "✘"
        tone = "#2e8b57" if reason.ok else "#c0392b"
        lines.append(f"<li><span style='color:{tone}'>{mark}</span> {esc(localized(reason.fr, reason.en))}</li>")
    lines.append("</ul><table cellspacing='2'>")
    rows = [
        (_("Titulaire"), entry.subject),
        (_("Émetteur"), entry.issuer),
        (_("Valide du"), _("{start} au {end}").format(start=fmt_date(entry.not_before), end=fmt_date(entry.not_after))),
        (_("Clé"), f"{entry.key_type} {entry.key_size} bits"),
        (_("Magasin(s)"), ", ".join(s.label for s in entry.stores)),
        (_("Empreinte SHA-256"), entry.fingerprint_sha256),
    ]
    for key, value in rows:
        lines.append(f"<tr><td style='color:#555;padding-right:10px'>{esc(key)}</td><td>{esc(str(value))}</td></tr>")
    lines.append("</table>")
    return "".join(lines)
