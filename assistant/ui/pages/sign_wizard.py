"""Signer: the signature wizard, in the steps of the original assistant.

1 Fichiers (each with its format: PAdES for PDFs, CAdES or XAdES for anything), 2 Certificat (the
inventory, only certificates able to sign are selectable), 3 Signature ("Signature du fichier i sur
N"; the PIN is asked by the store through the PIN dialog, once for the batch), 4 Confirmation (source,
format, generated file and folder for each file, with "Ouvrir le dossier").

The signing itself is a local job of the engine (origin "local"), one job per format, run one
after the other so that the card is not asked twice at the same time; the window only follows the
engine's events, so it never freezes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assistant.i18n import N_, _, localized
from assistant.jobs.model import JobState
from assistant.jobs.results import SignResult
from assistant.keystores.base import no_pin
from assistant.progress import Phase
from assistant.settings import Settings
from assistant.ui.pages.certificates import verdict_colour
from assistant.ui.tasks import run_in_background
from assistant.ui.widgets import ProgressBar, StatusLine, fmt_date, fmt_size, page_header

if TYPE_CHECKING:
    from assistant.jobs.engine import JobEngine
    from assistant.jobs.model import JobEvent

STEP_NAMES = (N_("Fichiers"), N_("Certificat"), N_("Signature"), N_("Confirmation"))
FORMATS = (("pades", "PAdES"), ("cades", "CAdES"), ("xades", "XAdES"))
FORMAT_LABELS = dict(FORMATS)


def default_format(path: Path) -> str:
    """PAdES for a PDF (the signature stays inside the document), CAdES otherwise."""
    return "pades" if path.suffix.lower() == ".pdf" else "cades"


@dataclass
class FileOutcome:
    source: Path
    format: str
    output: Path | None = None
    error: str = ""


@dataclass
class _Group:
    format: str
    sources: list[Path]
    job_id: str = ""
    done_before: int = 0
    outcomes: list[FileOutcome] = field(default_factory=list)


class StepIndicator(QWidget):
    """ "1 Fichiers — 2 Certificat — 3 Signature — 4 Confirmation", the current step highlighted."""

    def __init__(self) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.labels: list[QLabel] = []
        for index, name in enumerate(STEP_NAMES, start=1):
            label = QLabel(f"{index}  {_(name)}")
            self.labels.append(label)
            layout.addWidget(label)
            if index < len(STEP_NAMES):
                dash = QLabel("—")
                dash.setStyleSheet("color: #9aa5b1;")
                layout.addWidget(dash)
        layout.addStretch(1)
        self.set_current(0)

    def set_current(self, current: int) -> None:
        for index, label in enumerate(self.labels):
            if index < current:
                style = "color: #2e8b57; font-weight: bold;"
                label.setText(f"✓ {_(STEP_NAMES[index])}")
            elif index == current:
                style = "color: white; background: #1f4e8c; border-radius: 9px; padding: 2px 8px; font-weight: bold;"
                label.setText(f"{index + 1}  {_(STEP_NAMES[index])}")
            else:
                style = "color: #6b7078;"
                label.setText(f"{index + 1}  {_(STEP_NAMES[index])}")
            label.setStyleSheet(style)


class SignWizard(QWidget):
    #: emitted (GUI thread) when the confirmation screen is shown
    finished = Signal()
    _engine_event = Signal(object)

    def __init__(self, engine: JobEngine, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings = settings
        self.files: list[tuple[Path, QComboBox]] = []
        self.candidates: list[Any] = []
        self.groups: list[_Group] = []
        self.current_group = -1
        self.outcomes: list[FileOutcome] = []

        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        layout.addWidget(
            page_header(
                _("Signature électronique"),
                _(
                    "Signer électroniquement un document au format PAdES, CAdES ou XAdES. Les signatures générées "
                    "sont enregistrées dans le même dossier que chaque fichier signé."
                ),
            )
        )
        self.indicator = StepIndicator()
        layout.addWidget(self.indicator)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.stack.addWidget(self._build_files_step())
        self.stack.addWidget(self._build_certificate_step())
        self.stack.addWidget(self._build_progress_step())
        self.stack.addWidget(self._build_confirmation_step())

        self._engine_event.connect(self._on_engine_event)
        self._unsubscribe = engine.subscribe(self._engine_event.emit)

    def dispose(self) -> None:
        self._unsubscribe()
        self._engine_event.disconnect(self._on_engine_event)

    # ------------------------------------------------------------------------------------
    # Step 1: files

    def _build_files_step(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        self.files_table = QTableWidget(0, 4)
        self.files_table.setObjectName("signFiles")
        self.files_table.setAccessibleName(_("Fichiers à signer"))
        self.files_table.setHorizontalHeaderLabels(
            [_("Fichier(s) à signer"), _("Taille"), _("Format de signature"), ""]
        )
        self.files_table.verticalHeader().setVisible(False)
        self.files_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.files_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.files_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.files_table, 1)
        self.zip_notice = QLabel(
            _(
                "Un fichier ZIP signé comme un seul fichier est valable, mais les documents qu'il contient ne sont "
                "pas signés un par un : si chaque pièce doit être signée, signez-les avant de les compresser."
            )
        )
        self.zip_notice.setObjectName("zipNotice")
        self.zip_notice.setWordWrap(True)
        self.zip_notice.setStyleSheet("color: #8a5a00;")
        self.zip_notice.hide()
        layout.addWidget(self.zip_notice)
        row = QHBoxLayout()
        drop_hint = QLabel(_("Vous pouvez aussi déposer les fichiers dans cette page."))
        drop_hint.setObjectName("signDropHint")
        drop_hint.setStyleSheet("color: #555;")
        layout.addWidget(drop_hint)
        add = QPushButton(_("Ajouter un fichier…"))
        add.setObjectName("signAddFiles")
        add.clicked.connect(self._choose_files)
        row.addWidget(add)
        row.addStretch(1)
        self.files_next = QPushButton(_("Étape suivante >"))
        self.files_next.setObjectName("signFilesNext")
        self.files_next.setEnabled(False)
        self.files_next.clicked.connect(self.go_to_certificates)
        row.addWidget(self.files_next)
        layout.addLayout(row)
        return page

    def _choose_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, _("Fichiers à signer"), str(Path.home()))
        self.add_files([Path(p) for p in paths])

    def add_files(self, paths: Sequence[Path]) -> None:
        known = {p for p, _combo in self.files}
        for path in paths:
            path = Path(path).expanduser().resolve()
            if path in known or not path.is_file():
                continue
            known.add(path)
            row = self.files_table.rowCount()
            self.files_table.insertRow(row)
            name_item = QTableWidgetItem(path.name)
            name_item.setToolTip(str(path))
            self.files_table.setItem(row, 0, name_item)
            self.files_table.setItem(row, 1, QTableWidgetItem(fmt_size(path.stat().st_size)))
            combo = QComboBox()
            for value, label in FORMATS:
                if value == "pades" and path.suffix.lower() != ".pdf":
                    continue
                combo.addItem(label, value)
            combo.setCurrentIndex(max(0, combo.findData(default_format(path))))
            self.files_table.setCellWidget(row, 2, combo)
            remove = QPushButton(_("Retirer"))
            remove.clicked.connect(lambda _checked=False, p=path: self.remove_file(p))
            self.files_table.setCellWidget(row, 3, remove)
            self.files.append((path, combo))
        self._files_changed()

    def remove_file(self, path: Path) -> None:
        for row, (known, _combo) in enumerate(self.files):
            if known == path:
                self.files_table.removeRow(row)
                del self.files[row]
                break
        self._files_changed()

    def set_format(self, path: Path, fmt: str) -> None:
        for known, combo in self.files:
            if known == Path(path).resolve():
                combo.setCurrentIndex(combo.findData(fmt))

    def _files_changed(self) -> None:
        self.files_next.setEnabled(bool(self.files))
        self.zip_notice.setVisible(any(p.suffix.lower() == ".zip" for p, _c in self.files))

    # ------------------------------------------------------------------------------------
    # Step 2: certificate

    def _build_certificate_step(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        self.cert_state = QLabel("")
        self.cert_state.setObjectName("signCertificatesState")
        self.cert_state.setWordWrap(True)
        layout.addWidget(self.cert_state)
        self.cert_table = QTableWidget(0, 2)
        self.cert_table.setObjectName("signCertificates")
        self.cert_table.setAccessibleName(_("Certificat(s) disponible(s)"))
        self.cert_table.setHorizontalHeaderLabels([_("Certificat(s) disponible(s)"), _("Conformité")])
        self.cert_table.verticalHeader().setVisible(False)
        self.cert_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.cert_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.cert_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.cert_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.cert_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.cert_table.itemSelectionChanged.connect(self._certificate_selected)
        layout.addWidget(self.cert_table, 1)
        # A certificate that is not qualified signs, but most buyers' rules ask for a qualified one.
        self.qualification_warning = QLabel(
            _(
                "⚠ Ce certificat n'est pas un certificat qualifié : la signature sera valable techniquement, "
                "mais la plupart des consultations exigent une signature avec un certificat qualifié (RGS ou eIDAS)."
            )
        )
        self.qualification_warning.setObjectName("signNotQualified")
        self.qualification_warning.setWordWrap(True)
        self.qualification_warning.setStyleSheet("color: #c0661a; font-weight: bold;")
        self.qualification_warning.setVisible(False)
        layout.addWidget(self.qualification_warning)
        self.timestamp = QCheckBox(_("Ajouter un horodatage (niveau B-T)"))
        self.timestamp.setObjectName("signTimestamp")
        self.timestamp.setEnabled(bool(self.settings.tsa_url))
        layout.addWidget(self.timestamp)
        # Why the option is greyed out, said beside it (a tooltip is not seen by everyone).
        self.timestamp_why = QLabel(
            _("Horodatage indisponible : aucun serveur d'horodatage n'est configuré (Options avancées).")
        )
        self.timestamp_why.setObjectName("signTimestampWhy")
        self.timestamp_why.setWordWrap(True)
        self.timestamp_why.setStyleSheet("color: #555;")
        self.timestamp_why.setVisible(not self.settings.tsa_url)
        layout.addWidget(self.timestamp_why)
        row = QHBoxLayout()
        back = QPushButton(_("< Étape précédente"))
        back.clicked.connect(lambda: self._go(0))
        row.addWidget(back)
        row.addStretch(1)
        self.sign_button = QPushButton(_("Signer"))
        self.sign_button.setObjectName("signStart")
        self.sign_button.setEnabled(False)
        self.sign_button.clicked.connect(self.start_signing)
        row.addWidget(self.sign_button)
        layout.addLayout(row)
        return page

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.stack.currentIndex() == 0 and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Files dropped on the first step are added as if chosen with "Ajouter un fichier…"."""
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        self.add_files([p for p in paths if p.is_file()])
        event.acceptProposedAction()

    def go_to_certificates(self) -> None:
        self._go(1)
        self.cert_table.setRowCount(0)
        self.sign_button.setEnabled(False)
        self.cert_state.setText(_("Recherche des certificats de signature…"))
        settings = self.settings

        def work(_progress: object) -> Any:
            from assistant.keystores.inventory import list_certificates

            return list_certificates(no_pin, settings)

        run_in_background(work, self._show_certificates, self._certificates_failed, name="sign-inventory")

    def _certificates_failed(self, exc: Exception) -> None:
        self.cert_state.setText(
            _("La liste des certificats n'a pas pu être établie : {reason}").format(reason=getattr(exc, "message", exc))
        )

    def _show_certificates(self, inventory: Any) -> None:
        entries = sorted(inventory.entries, key=lambda e: not e.verdict.usable_for_signature)
        self.candidates = entries
        self.cert_table.setRowCount(len(entries))
        first_usable = -1
        for row, entry in enumerate(entries):
            usable = entry.verdict.usable_for_signature
            text = _("{name}\nÉmetteur : {issuer}\nDate d'expiration : {expiry}").format(
                name=entry.subject_name, issuer=entry.issuer_name, expiry=fmt_date(entry.not_after)
            )
            name_item = QTableWidgetItem(text)
            verdict_text = localized(entry.verdict.label, entry.verdict.label_en)
            verdict_item = QTableWidgetItem(verdict_text[:1].upper() + verdict_text[1:])
            verdict_item.setForeground(QColor(verdict_colour(entry.verdict.category.value)))
            problems = [localized(r.fr, r.en) for r in entry.verdict.reasons if not r.ok]
            for item in (name_item, verdict_item):
                item.setToolTip("\n".join(problems) or verdict_text)
                if not usable:
                    item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.cert_table.setItem(row, 0, name_item)
            self.cert_table.setItem(row, 1, verdict_item)
            if usable and first_usable < 0:
                first_usable = row
        self.cert_table.resizeRowsToContents()
        usable_count = sum(1 for e in entries if e.verdict.usable_for_signature)
        if usable_count:
            self.cert_state.setText(_("Sélectionnez le certificat de signature :"))
            self.cert_table.selectRow(first_usable)
        else:
            self.cert_state.setText(
                _(
                    "Aucun certificat ne permet de signer. Insérez votre carte ou clé USB de signature, ou ajoutez votre "
                    "fichier de certificat depuis la page « Mes certificats »."
                )
            )
        for warning in inventory.warnings:
            self.cert_state.setText(
                self.cert_state.text() + f"\n⚠ {localized(warning.message_fr, getattr(warning, 'message_en', ''))}"
            )

    def selected_certificate(self) -> Any | None:
        rows = {index.row() for index in self.cert_table.selectedIndexes()}
        if not rows:
            return None
        entry = self.candidates[min(rows)]
        return entry if entry.verdict.usable_for_signature else None

    def select_certificate(self, fingerprint: str) -> bool:
        for row, entry in enumerate(self.candidates):
            if entry.fingerprint_sha256 == fingerprint and entry.verdict.usable_for_signature:
                self.cert_table.selectRow(row)
                return True
        return False

    def _certificate_selected(self) -> None:
        entry = self.selected_certificate()
        self.sign_button.setEnabled(entry is not None)
        self.qualification_warning.setVisible(entry is not None and not entry.verdict.qualified)

    # ------------------------------------------------------------------------------------
    # Step 3: signing

    def _build_progress_step(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 24, 0, 0)
        title = QLabel(_("Signature des fichiers"))
        title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        layout.addWidget(title)
        layout.addWidget(QLabel(_("Signature électronique des fichiers sélectionnés")))
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("signProgressLabel")
        self.progress_label.setStyleSheet("font-size: 12pt; font-weight: bold; color: #1f4e8c; margin-top: 16px;")
        layout.addWidget(self.progress_label)
        self.progress_bar = ProgressBar()
        self.progress_bar.setObjectName("signProgressBar")
        self.progress_bar.setRange(0, 100)
        layout.addWidget(self.progress_bar)
        self.progress_element = QLabel("")
        self.progress_element.setObjectName("signProgressElement")
        self.progress_element.setWordWrap(True)
        layout.addWidget(self.progress_element)
        self.progress_hint = QLabel("")
        self.progress_hint.setWordWrap(True)
        self.progress_hint.setStyleSheet("color: #555;")
        layout.addWidget(self.progress_hint)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = QPushButton(_("Annuler"))
        self.cancel_button.setObjectName("signCancel")
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        return page

    def start_signing(self) -> None:
        entry = self.selected_certificate()
        if entry is None or not self.files:
            return
        by_format: dict[str, list[Path]] = {}
        for path, combo in self.files:
            by_format.setdefault(str(combo.currentData()), []).append(path)
        self.groups = []
        done = 0
        for fmt, sources in by_format.items():
            self.groups.append(_Group(fmt, sources, done_before=done))
            done += len(sources)
        self.total = done
        self.key_spec = f"sha256:{entry.fingerprint_sha256}"
        self.level = "B-T" if self.timestamp.isChecked() else "B-B"
        self.outcomes = []
        self.current_group = -1
        self.cancelled = False
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self._set_progress_text(1)
        self.progress_hint.setText(
            _("Votre code PIN (ou le mot de passe du fichier de certificat) vous sera demandé une seule fois.")
        )
        self._go(2)
        self._next_group()

    def _set_progress_text(self, index: int) -> None:
        self.progress_label.setText(
            _("Signature électronique du fichier {index} sur {total}").format(
                index=min(index, self.total), total=self.total
            )
        )

    def _next_group(self) -> None:
        self.current_group += 1
        if self.current_group >= len(self.groups):
            self._show_confirmation()
            return
        group = self.groups[self.current_group]
        if self.cancelled:
            group.outcomes = [FileOutcome(s, group.format, error=_("Signature annulée.")) for s in group.sources]
            self.outcomes.extend(group.outcomes)
            self._next_group()
            return
        descriptor = {
            "version": 1,
            "type": "sign",
            "label": N_("Signature électronique"),
            "params": {
                "paths": [str(p) for p in group.sources],
                "format": group.format,
                "level": self.level,
                "key": self.key_spec,
            },
        }
        try:
            job = self.engine.submit(descriptor, "local")
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc)
            group.outcomes = [FileOutcome(s, group.format, error=message) for s in group.sources]
            self.outcomes.extend(group.outcomes)
            self._next_group()
            return
        group.job_id = job.id
        if job.state.terminal:  # already over (the event may have come before the id was known)
            self._group_ended()

    def cancel(self) -> None:
        self.cancelled = True
        self.cancel_button.setEnabled(False)
        if 0 <= self.current_group < len(self.groups) and self.groups[self.current_group].job_id:
            self.engine.cancel(self.groups[self.current_group].job_id)

    def _on_engine_event(self, event: JobEvent) -> None:
        if not (0 <= self.current_group < len(self.groups)):
            return
        group = self.groups[self.current_group]
        if event.job_id != group.job_id:
            return
        job = event.job
        progress = job.progress
        if progress.phase is Phase.SIGN_FILE and progress.item:
            within = progress.item
            self._set_progress_text(group.done_before + within)
            done_files = group.done_before + within - 1
            self.progress_bar.setValue(int(100 * done_files / max(1, self.total)))
        if progress.element_text:
            self.progress_element.setText(_("Fichier en cours : {name}").format(name=progress.element_text))
        if job.state is JobState.WAITING_USER:
            self.progress_hint.setText(_("En attente de votre code PIN ou de votre mot de passe…"))
        elif job.state is JobState.RUNNING:
            self.progress_hint.setText("")
        if job.state.terminal:
            self._group_ended()

    def _group_ended(self) -> None:
        group = self.groups[self.current_group]
        if group.outcomes:
            return  # already collected
        job = self.engine.get(group.job_id)
        result = job.result if job is not None and isinstance(job.result, SignResult) else None
        files = result.files if result is not None else ()
        outputs = (result.outputs or ()) if result is not None else ()
        job_error = localized(job.error.message, job.error.message_en) if job is not None and job.error else ""
        for index, source in enumerate(group.sources):
            info = files[index] if index < len(files) else None
            outcome = FileOutcome(source, group.format)
            if info is not None and info.signature and info.error is None:
                signature = info.signature
                produced = next((Path(o) for o in outputs if Path(o).name == signature), None)
                outcome.output = produced or source.parent / signature
            else:
                item_error = (
                    localized(info.error.message, info.error.message_en)
                    if info is not None and info.error is not None
                    else ""
                )
                outcome.error = item_error or job_error or _("Échec de la signature.")
            group.outcomes.append(outcome)
        self.outcomes.extend(group.outcomes)
        self.progress_bar.setValue(int(100 * (group.done_before + len(group.sources)) / max(1, self.total)))
        self._next_group()

    # ------------------------------------------------------------------------------------
    # Step 4: confirmation

    def _build_confirmation_step(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        self.summary = StatusLine()
        self.summary.setObjectName("signSummary")
        layout.addWidget(self.summary)
        self.counts = QLabel("")
        self.counts.setObjectName("signCounts")
        layout.addWidget(self.counts)
        generated = QLabel(_("Fichier(s) générés"))
        generated.setStyleSheet("font-weight: bold; margin-top: 6px;")
        layout.addWidget(generated)
        self.results_area = QScrollArea()
        self.results_area.setWidgetResizable(True)
        self.results_area.setFrameShape(QFrame.Shape.NoFrame)
        self.results_box = QWidget()
        self.results_layout = QVBoxLayout(self.results_box)
        self.results_layout.addStretch(1)
        self.results_area.setWidget(self.results_box)
        layout.addWidget(self.results_area, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        done = QPushButton(_("Terminer"))
        done.setObjectName("signDone")
        done.clicked.connect(self.reset)
        row.addWidget(done)
        layout.addLayout(row)
        return page

    def _show_confirmation(self) -> None:
        signed = sum(1 for o in self.outcomes if o.output is not None)
        total = len(self.outcomes)
        if signed == total:
            self.summary.set(
                "ok", _("<b>La signature électronique des fichiers sélectionnés s'est terminée avec succès.</b>")
            )
        elif signed:
            self.summary.set("warning", _("<b>Certains fichiers n'ont pas pu être signés.</b>"))
        else:
            self.summary.set("error", _("<b>Aucun fichier n'a été signé.</b>"))
        self.counts.setText(
            _("• Nombre de fichiers à signer : {total}\n• Nombre de fichiers signés avec succès : {signed}").format(
                total=total, signed=signed
            )
        )
        while self.results_layout.count() > 1:
            item = self.results_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for outcome in self.outcomes:
            self.results_layout.insertWidget(self.results_layout.count() - 1, _outcome_widget(outcome))
        self._go(3)
        self.finished.emit()

    def result_texts(self) -> list[str]:
        """Every label of the confirmation list, for tests and accessibility checks."""
        return [label.text() for label in self.results_box.findChildren(QLabel)]

    def reset(self) -> None:
        self.files_table.setRowCount(0)
        self.files.clear()
        self._files_changed()
        self._go(0)

    def _go(self, step: int) -> None:
        self.stack.setCurrentIndex(step)
        self.indicator.set_current(step)


def _outcome_widget(outcome: FileOutcome) -> QWidget:
    box = QFrame()
    box.setObjectName("signOutcome")
    box.setStyleSheet("#signOutcome { border: 1px solid #d5dde8; border-radius: 6px; background: #fafcff; }")
    layout = QVBoxLayout(box)
    layout.setSpacing(2)
    ok = outcome.output is not None
    head = StatusLine(
        "ok" if ok else "error", _("<b>Fichier source :</b> {name}").format(name=_esc(outcome.source.name))
    )
    layout.addWidget(head)
    lines = [
        _("↳ Format de signature : {format}").format(format=FORMAT_LABELS.get(outcome.format, outcome.format).upper())
    ]
    if ok and outcome.output is not None:
        lines.append(_("↳ Fichier généré : {name}").format(name=outcome.output.name))
        lines.append(_("↳ Répertoire de destination : {folder}").format(folder=outcome.output.parent))
    else:
        lines.append(_("↳ Erreur : {reason}").format(reason=outcome.error))
    for line in lines:
        label = QLabel(line)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setContentsMargins(28, 0, 0, 0)
        if not ok and line is lines[-1]:
            label.setStyleSheet("color: #c0392b;")
        layout.addWidget(label)
    if ok and outcome.output is not None:
        folder = outcome.output.parent
        button = QPushButton(_("Ouvrir le dossier"))
        button.setObjectName("openFolder")
        button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
        row = QHBoxLayout()
        row.setContentsMargins(28, 0, 0, 0)
        row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
    return box


def _esc(text: str) -> str:
    import html

    return html.escape(text)
