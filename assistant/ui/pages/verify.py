""" "Vérifier une signature": choose signed files (or drop them), optionally the signed document of
a detached signature and the authorities to trust for this verification (a private CA), verify
through the engine's verification job, read the report per signature, export it (PDF, HTML or
JSON). The authorities of "Options avancées" apply to every verification; those chosen here go
in the job's local-only `trust` parameter (a page can send neither)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from assistant.i18n import N_, _, ngettext
from assistant.jobs.model import Job, JobState
from assistant.jobs.results import VerifyResult
from assistant.ui.local_job import LocalJobPanel
from assistant.ui.pages.settings import PathList, choose_anchor
from assistant.ui.verification_report import export, verification_html
from assistant.ui.widgets import ERROR_STYLE, page_header, section

if TYPE_CHECKING:
    from assistant.jobs.engine import JobEngine


class VerifyPage(QWidget):
    def __init__(self, engine: JobEngine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.engine = engine
        self.result: VerifyResult | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            page_header(
                _("Vérifier une signature"),
                _(
                    "Vérifiez une signature PAdES (PDF signé), CAdES (.p7s) ou XAdES (.xml) : intégrité, certificat, "
                    "date, horodatage. Pour une signature détachée, indiquez aussi le document signé."
                ),
            )
        )
        layout.addWidget(section(_("Fichiers à vérifier")))
        hint = QLabel(_("Ajoutez les fichiers, ou déposez-les dans cette page."))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.files = QListWidget()
        self.files.setObjectName("verifyFiles")
        self.files.setAccessibleName(_("Fichiers à vérifier"))
        self.files.setMaximumHeight(90)
        layout.addWidget(self.files)
        row = QHBoxLayout()
        self.add_button = QPushButton(_("Ajouter un fichier…"))
        self.add_button.setObjectName("verifyAdd")
        self.add_button.clicked.connect(self.choose_files)
        row.addWidget(self.add_button)
        self.clear_button = QPushButton(_("Vider la liste"))
        self.clear_button.setObjectName("verifyClear")
        self.clear_button.clicked.connect(self.clear)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(section(_("Document signé (signature détachée, facultatif)")))
        row = QHBoxLayout()
        self.detached = QLineEdit()
        self.detached.setObjectName("verifyDetached")
        self.detached.setAccessibleName(_("Document signé"))
        self.detached.setPlaceholderText(_("Le document que la signature .p7s ou .xml couvre"))
        row.addWidget(self.detached, 1)
        browse = QPushButton(_("Parcourir…"))
        browse.setObjectName("verifyDetachedBrowse")
        browse.clicked.connect(self.choose_detached)
        row.addWidget(browse)
        layout.addLayout(row)
        layout.addWidget(section(_("Autorités de confiance (facultatif)")))
        self.anchors_hint = QLabel()
        self.anchors_hint.setObjectName("verifyAnchorsHint")
        self.anchors_hint.setWordWrap(True)
        layout.addWidget(self.anchors_hint)
        self.anchors = PathList("verifyAnchors", [], choose_anchor)
        self.anchors.list.setAccessibleName(_("Autorités de confiance pour cette vérification"))
        self.anchors.list.setMaximumHeight(60)
        layout.addWidget(self.anchors)
        row = QHBoxLayout()
        self.verify_button = QPushButton(_("Vérifier"))
        self.verify_button.setObjectName("verifyStart")
        self.verify_button.setDefault(True)
        self.verify_button.clicked.connect(self.verify)
        row.addWidget(self.verify_button)
        self.export_button = QPushButton(_("Exporter le rapport…"))
        self.export_button.setObjectName("verifyExport")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.choose_export)
        row.addWidget(self.export_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.message = QLabel()
        self.message.setObjectName("verifyMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.panel = LocalJobPanel(engine)
        self.panel.finished.connect(self._finished)
        layout.addWidget(self.panel)
        # The report itself: the document `assistant verify --report` writes, as HTML.
        self.report_view = QTextBrowser()
        self.report_view.setObjectName("verifyReport")
        self.report_view.setAccessibleName(_("Rapport de vérification"))
        self.report_view.setOpenLinks(False)
        self.report_view.setVisible(False)
        self.report_view.setMinimumHeight(240)
        layout.addWidget(self.report_view, 1)
        self._update()

    # -- files -------------------------------------------------------------------------------

    def paths(self) -> list[Path]:
        return [Path(self.files.item(i).text()) for i in range(self.files.count())]

    def add_files(self, paths: list[Path]) -> None:
        known = set(self.paths())
        for path in paths:
            if path.is_file() and path not in known:
                self.files.addItem(str(path))
                known.add(path)
        self._update()

    def clear(self) -> None:
        self.files.clear()
        self._update()

    def choose_files(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileNames(
            self, _("Fichiers signés à vérifier"), "", _("Signatures (*.pdf *.p7s *.p7m *.xml);;Tous les fichiers (*)")
        )
        self.add_files([Path(p) for p in chosen])

    def choose_detached(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(self, _("Document signé"))
        if chosen:
            self.detached.setText(chosen)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.add_files([Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()])
        event.acceptProposedAction()

    def add_anchor(self, path: Path) -> None:
        """Trust the authority of `path` (a certificate file) for the verifications made here."""
        self.anchors._add(str(path))

    def _update(self) -> None:
        self.verify_button.setEnabled(self.files.count() > 0 and not self.panel.running)
        self.clear_button.setEnabled(self.files.count() > 0)
        count = len(self.engine.settings.verify_trust_anchors)
        self.anchors_hint.setText(
            ngettext(
                "En plus de celles du système et de l'autorité des Options avancées, "
                "faire confiance pour cette vérification à :",
                "En plus de celles du système et des {count} autorités des Options avancées, "
                "faire confiance pour cette vérification à :",
                count,
            ).format(count=count)
            if count
            else _("En plus de celles du système, faire confiance pour cette vérification à :")
        )

    def showEvent(self, event: QShowEvent) -> None:
        self._update()  # the anchors of "Options avancées" may have changed meanwhile
        super().showEvent(event)

    # -- verification ------------------------------------------------------------------------

    def verify(self) -> Job | None:
        self.result = None
        self.export_button.setEnabled(False)
        self.report_view.clear()
        self.report_view.setVisible(False)
        self.message.setText("")
        params: dict[str, object] = {"paths": [str(p) for p in self.paths()]}
        if self.detached.text().strip():
            params["detached_of"] = self.detached.text().strip()
        if self.anchors.values():
            params["trust"] = self.anchors.values()
        job = self.panel.start(
            {"version": 1, "type": "verify", "label": N_("Vérification de signature"), "params": params}
        )
        self._update()
        return job

    def _finished(self, job: Job) -> None:
        self._update()
        if isinstance(job.result, VerifyResult) and job.state in (JobState.SUCCEEDED, JobState.FAILED):
            self.result = job.result
            self.report_view.setHtml(verification_html(job.result))
            self.report_view.setVisible(True)
            self.panel.outcome.setVisible(False)  # the report below says all of it, in full
            self.export_button.setEnabled(True)

    def choose_export(self) -> None:
        if self.result is None:
            return
        chosen, _filter = QFileDialog.getSaveFileName(
            self,
            _("Exporter le rapport de vérification"),
            "rapport-de-verification.pdf",
            _("PDF (*.pdf);;HTML (*.html);;JSON (*.json)"),
        )
        if chosen:
            self.export_to(Path(chosen))

    def export_to(self, path: Path) -> Path | None:
        """Write the report; the outcome (where, or why not) is said under the buttons."""
        if self.result is None:
            return None
        try:
            written = export(self.result, path)
        except Exception as exc:  # a wrong suffix, a read-only folder: said, nothing half-written
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(
                _("Le rapport n'a pas pu être enregistré : {reason}").format(
                    reason=getattr(exc, "message", None) or exc
                )
            )
            return None
        self.message.setStyleSheet("")
        self.message.setText(_("Rapport enregistré : {path}").format(path=written))
        return written

    def dispose(self) -> None:
        self.panel.dispose()
