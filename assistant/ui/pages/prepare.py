"""Préparer mon dépôt: the company's whole bid folder, signed once, checked before it goes.

Folder picker -> table of every file with its proposed format (editable) and, for a ZIP, "sign
the files inside" -> the problems the platform or the buyer would raise -> optional visible
signature placed on a page preview (remembered in the settings) -> certificate -> one PIN for the
whole bid -> what the buyer will see for each signature, the folder to deposit and the summary.

The work (scan, signing, verification, upload measurement) is `assistant.prepare`, run off the GUI
thread by `tasks.run_in_background`; the PIN is asked by the store through the PIN dialog, once.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assistant.i18n import _
from assistant.keystores.base import PinCallback, no_pin
from assistant.settings import Settings
from assistant.signing.stamp import SETTINGS_KEY, StampPlacement, VisibleSignature
from assistant.ui.tasks import run_in_background
from assistant.ui.widgets import STATUS_COLOURS, ProgressBar, fmt_size, page_header, section

if TYPE_CHECKING:
    from cryptography import x509

    from assistant.prepare.checks import Problem
    from assistant.prepare.plan import BidPlan
    from assistant.prepare.workflow import PrepareOutcome

FORMATS = (("pades", "PAdES"), ("xades", "XAdES"), ("cades", "CAdES"))
A4_RATIO = 842 / 595


class StampPreview(QWidget):
    """A page in miniature: click or drag to put the stamp where it should be on the page."""

    placementChanged = Signal(object)

    def __init__(self, placement: StampPlacement, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placement = placement
        self.setObjectName("stampPreview")
        self.setFixedSize(170, int(170 * A4_RATIO))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(_("Cliquez ou faites glisser pour placer la signature sur la page"))

    def page_rect(self) -> QRectF:
        return QRectF(4, 4, self.width() - 8, self.height() - 8)

    def stamp_rect(self) -> QRectF:
        page = self.page_rect()
        p = self.placement
        return QRectF(
            page.left() + p.left * page.width(),
            page.top() + p.top * page.height(),
            p.width * page.width(),
            p.height * page.height(),
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        page = self.page_rect()
        painter.fillRect(page, QColor("white"))
        painter.setPen(QPen(QColor("#8a96a8"), 1))
        painter.drawRect(page)
        painter.setPen(QPen(QColor("#d5dbe3"), 3))
        y = page.top() + 18
        while y < page.bottom() - 14:  # lines of text, to read the page as a page
            painter.drawLine(QPointF(page.left() + 14, y), QPointF(page.right() - 14, y))
            y += 11
        stamp = self.stamp_rect()
        painter.fillRect(stamp, QColor(31, 78, 140, 60))
        painter.setPen(QPen(QColor("#1f4e8c"), 2))
        painter.drawRect(stamp)
        painter.setPen(QColor("#1f4e8c"))
        painter.drawText(stamp, Qt.AlignmentFlag.AlignCenter, _("Signature"))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._move_to(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._move_to(event.position())

    def _move_to(self, point: QPointF) -> None:
        """Centre the stamp on the point, kept inside the page."""
        page = self.page_rect()
        p = self.placement
        left = min(max((point.x() - page.left()) / page.width() - p.width / 2, 0.0), 1.0 - p.width)
        top = min(max((point.y() - page.top()) / page.height() - p.height / 2, 0.0), 1.0 - p.height)
        self.set_placement(replace(p, left=round(left, 4), top=round(top, 4)))

    def set_placement(self, placement: StampPlacement) -> None:
        self.placement = placement
        self.update()
        self.placementChanged.emit(placement)


class PreparePage(QWidget):
    """The "Préparer mon dépôt" page."""

    finished = Signal(object)
    rules_loaded = Signal(object)
    planned = Signal(object)

    def __init__(self, settings: Settings, pin_callback: PinCallback = no_pin, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preparePage")
        self.settings = settings
        self.pin_callback = pin_callback
        #: Anchors for the buyer's view (None: the system's, as the buyer's own tool has).
        self.trust_roots: list[x509.Certificate] | None = None
        self.plan: BidPlan | None = None
        self.rules: Any = None  # PlatformRules once loaded (None: the rules that pass everywhere)
        self.problems: list[Problem] = []
        self.outcome: PrepareOutcome | None = None
        self.certificates: list[Any] = []
        self._listed = False
        remembered = VisibleSignature.from_settings(settings.extra.get(SETTINGS_KEY))

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(
            page_header(
                _("Préparer mon dépôt"),
                _("Signez toute votre réponse en une fois, voyez ce que verra l'acheteur et arrivez à temps."),
            )
        )
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 8, 0)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        # 1. the folder
        layout.addWidget(section(_("1. Dossier de la réponse")))
        row = QHBoxLayout()
        self.folder_edit = QLineEdit()
        self.folder_edit.setAccessibleName(_("Dossier de la réponse"))
        self.folder_edit.setPlaceholderText(_("Dossier contenant la candidature et l'offre (un sous-dossier par lot)"))
        self.folder_edit.setReadOnly(True)
        browse = QPushButton(_("Choisir le dossier…"))
        browse.clicked.connect(self._browse)
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        rules_row = QHBoxLayout()
        self.rules_edit = QLineEdit()
        self.rules_edit.setObjectName("prepareRules")
        self.rules_edit.setAccessibleName(_("Règles de dépôt"))
        self.rules_edit.setPlaceholderText(_("Règles de dépôt de la plateforme : adresse ou fichier (facultatif)"))
        load_rules_button = QPushButton(_("Charger les règles"))
        load_rules_button.clicked.connect(lambda: self.load_rules(self.rules_edit.text().strip()))
        rules_row.addWidget(self.rules_edit, 1)
        rules_row.addWidget(load_rules_button)
        layout.addLayout(rules_row)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)

        # 2. the files and their formats
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("prepareFiles")
        self.table.setAccessibleName(_("Fichiers de la réponse"))
        self.table.setHorizontalHeaderLabels([_("Fichier"), _("Lot"), _("Taille"), _("Format de signature")])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(190)
        layout.addWidget(self.table)

        # 3. the problems
        layout.addWidget(section(_("2. Points à vérifier avant le dépôt")))
        self.problem_list = QListWidget()
        self.problem_list.setObjectName("prepareProblems")
        self.problem_list.setAccessibleName(_("Points à vérifier avant le dépôt"))
        self.problem_list.setWordWrap(True)
        self.problem_list.setMinimumHeight(110)
        layout.addWidget(self.problem_list)

        # 4. visible signature
        layout.addWidget(section(_("3. Signature visible sur les PDF (facultatif)")))
        stamp_row = QHBoxLayout()
        self.preview = StampPreview(remembered.placement)
        self.preview.placementChanged.connect(self._remember_stamp)
        stamp_row.addWidget(self.preview)
        options = QGridLayout()
        self.visible_check = QCheckBox(_("Ajouter un cachet : nom du signataire, date et signature scannée"))
        options.addWidget(self.visible_check, 0, 0, 1, 2)
        options.addWidget(QLabel(_("Page :")), 1, 0)
        self.page_spin = QSpinBox()
        self.page_spin.setRange(-99, 999)
        self.page_spin.setValue(remembered.placement.page)
        self.page_spin.setToolTip(_("1 = première page, -1 = dernière page"))
        self.page_spin.valueChanged.connect(
            lambda value: self._remember_stamp(replace(self.preview.placement, page=value or 1))
        )
        options.addWidget(self.page_spin, 1, 1)
        self.image_edit = QLineEdit(str(remembered.image) if remembered.image else "")
        self.image_edit.setAccessibleName(_("Image de la signature visible"))
        self.image_edit.setPlaceholderText(_("Signature scannée (PNG ou JPEG), facultative"))
        image_button = QPushButton(_("Image…"))
        image_button.clicked.connect(self._choose_image)
        options.addWidget(self.image_edit, 2, 0)
        options.addWidget(image_button, 2, 1)
        hint = QLabel(_("L'emplacement choisi est mémorisé pour la prochaine fois."))
        hint.setStyleSheet("color: #555;")
        options.addWidget(hint, 3, 0, 1, 2)
        options.setRowStretch(4, 1)
        stamp_row.addLayout(options, 1)
        layout.addLayout(stamp_row)

        # 5. certificate, estimate, sign
        layout.addWidget(section(_("4. Signature et envoi")))
        cert_row = QHBoxLayout()
        self.cert_combo = QComboBox()
        self.cert_combo.setObjectName("prepareCertificate")
        self.cert_combo.setAccessibleName(_("Certificat"))
        self.cert_combo.currentIndexChanged.connect(lambda _i: self._refresh_problems())
        refresh = QPushButton(_("Rechercher les certificats"))
        refresh.clicked.connect(self.refresh_certificates)
        cert_row.addWidget(QLabel(_("Certificat :")))
        cert_row.addWidget(self.cert_combo, 1)
        cert_row.addWidget(refresh)
        layout.addLayout(cert_row)
        action_row = QHBoxLayout()
        self.estimate_button = QPushButton(_("Estimer la durée d'envoi"))
        self.estimate_button.clicked.connect(self.estimate)
        self.sign_button = QPushButton(_("SIGNER TOUT LE DÉPÔT"))
        self.sign_button.setObjectName("prepareSign")
        self.sign_button.setStyleSheet("font-weight: bold; padding: 6px 18px;")
        self.sign_button.clicked.connect(lambda: self.sign())
        self.sign_button.setEnabled(False)
        self.timestamp_check = QCheckBox(_("Horodater les signatures (B-T)"))
        self.timestamp_check.setEnabled(bool(settings.tsa_url))
        self.timestamp_check.setChecked(bool(settings.tsa_url))
        if not settings.tsa_url:
            self.timestamp_check.setToolTip(_("Aucun service d'horodatage n'est configuré dans les paramètres."))
        self.cancel_button = QPushButton(_("Annuler"))
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        action_row.addWidget(self.estimate_button)
        action_row.addWidget(self.timestamp_check)
        action_row.addStretch(1)
        action_row.addWidget(self.cancel_button)
        action_row.addWidget(self.sign_button)
        layout.addLayout(action_row)
        self.estimate_label = QLabel()
        self.estimate_label.setWordWrap(True)
        layout.addWidget(self.estimate_label)
        self.progress = ProgressBar()
        self.progress.setVisible(False)
        layout.addWidget(self.progress)

        # 6. result
        self.result_title = section(_("5. Ce que verra l'acheteur"))
        self.result_title.setVisible(False)
        layout.addWidget(self.result_title)
        self.result_list = QListWidget()
        self.result_list.setObjectName("prepareResults")
        self.result_list.setAccessibleName(_("Résultat"))
        self.result_list.setVisible(False)
        self.result_list.setMinimumHeight(150)
        layout.addWidget(self.result_list)
        result_row = QHBoxLayout()
        self.open_folder = QPushButton(_("Ouvrir le dossier à déposer"))
        self.open_summary = QPushButton(_("Ouvrir le récapitulatif (PDF)"))
        self.open_reports = QPushButton(_("Rapports de vérification"))
        for button in (self.open_folder, self.open_summary, self.open_reports):
            button.setVisible(False)
            result_row.addWidget(button)
        result_row.addStretch(1)
        self.open_folder.clicked.connect(lambda: self._open(self.outcome.result.folder if self.outcome else None))
        self.open_summary.clicked.connect(lambda: self._open(self.outcome.summary if self.outcome else None))
        self.open_reports.clicked.connect(lambda: self._open(self.outcome.reports if self.outcome else None))
        layout.addLayout(result_row)
        layout.addStretch(1)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._listed:  # the certificates are listed (without any PIN) the first time the page shows
            self._listed = True
            self.refresh_certificates()

    # -- folder and plan -----------------------------------------------------------------------

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, _("Dossier de la réponse"), self.folder_edit.text() or str(Path.home())
        )
        if folder:
            self.load_folder(Path(folder))

    def load_rules(self, source: str) -> None:
        """The platform's deposit rules (its address or a file), then the proposal again under them."""
        if not source:
            return

        def work(_progress: Any) -> Any:
            from assistant.prepare.rules import load_rules

            return load_rules(source, None)

        def loaded(rules: Any) -> None:
            self.rules = rules
            if self.folder_edit.text():
                self.load_folder(Path(self.folder_edit.text()))
            self.rules_loaded.emit(rules)

        def failed(exc: Exception) -> None:
            from assistant.errors import AssistantError

            self._show_problems(self.problems, error=exc.message if isinstance(exc, AssistantError) else str(exc))
            self.rules_loaded.emit(None)

        run_in_background(work, loaded, failed, name="prepare-rules")

    def load_folder(self, folder: Path, rules: Any = None) -> None:
        """Scan the folder off the GUI thread (each PDF and ZIP is opened to check it can be signed)
        and show the proposal; `planned` is emitted with the plan (None when the folder is unusable)."""
        from assistant.prepare.deposit import default_destination
        from assistant.prepare.plan import make_plan
        from assistant.prepare.rules import PlatformRules
        from assistant.prepare.scan import scan_bid

        self.folder_edit.setText(str(folder))
        self.summary_label.setText(_("Analyse du dossier…"))
        chosen = rules or self.rules or PlatformRules()

        def work(_progress: Any) -> Any:
            return make_plan(scan_bid(folder, exclude=default_destination(folder)), chosen)

        run_in_background(work, self._show_plan, self._plan_failed, name="prepare-scan")

    def _plan_failed(self, exc: Exception) -> None:
        from assistant.errors import AssistantError

        self.plan = None
        self.table.setRowCount(0)
        self.summary_label.setText("")
        self._show_problems([], error=exc.message if isinstance(exc, AssistantError) else str(exc))
        self.sign_button.setEnabled(False)
        self.planned.emit(None)

    def _show_plan(self, plan: BidPlan) -> None:
        self.plan = plan
        self._fill_table()
        self._refresh_problems()
        self.planned.emit(plan)

    def _fill_table(self) -> None:
        from assistant.prepare.scan import FileKind

        assert self.plan is not None
        plan = self.plan
        self.table.setRowCount(len(plan.files))
        for row, item in enumerate(plan.files):
            name = QTableWidgetItem(
                str(item.file.relative.relative_to(item.file.lot)) if item.file.lot else item.file.name
            )
            name.setToolTip(str(item.file.path))
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, QTableWidgetItem(item.file.lot or "—"))
            self.table.setItem(row, 2, QTableWidgetItem(fmt_size(item.file.size)))
            cell = QWidget()
            cell_layout = QHBoxLayout(cell)
            cell_layout.setContentsMargins(2, 0, 2, 0)
            combo = QComboBox()
            for value, label in FORMATS:
                if value == "pades" and item.file.kind is not FileKind.PDF:
                    continue
                combo.addItem(label, value)
            combo.setCurrentIndex(combo.findData(item.format.value))
            relative = str(item.file.relative)
            combo.currentIndexChanged.connect(lambda _i, c=combo, r=relative: self.set_format(r, str(c.currentData())))
            cell_layout.addWidget(combo)
            if item.file.kind is FileKind.ZIP and item.file.members:
                inside = QCheckBox(_("Signer les {n} fichiers contenus").format(n=len(item.file.members)))
                inside.setChecked(item.sign_inside)
                inside.toggled.connect(lambda checked, r=relative: self.set_sign_inside(r, checked))
                cell_layout.addWidget(inside)
            self.table.setCellWidget(row, 3, cell)
        total = plan.bid.total_size
        text = _("{n} fichier(s), {size}, lots : {lots}").format(
            n=len(plan.files), size=fmt_size(total), lots=", ".join(lot or "—" for lot in plan.bid.lots)
        )
        if plan.rules.deadline is not None:
            text += " — " + _("date limite de remise : {deadline}").format(
                deadline=plan.rules.deadline.astimezone().strftime("%d/%m/%Y %H:%M")
            )
        self.summary_label.setText(text)

    def set_format(self, relative: str, fmt: str) -> None:
        if self.plan is not None:
            self.plan = self.plan.with_format(relative, fmt)
            self._refresh_problems()

    def set_sign_inside(self, relative: str, sign_inside: bool) -> None:
        if self.plan is not None:
            self.plan = self.plan.with_sign_inside(relative, sign_inside)
            self._refresh_problems()

    def _selected_certificate(self) -> x509.Certificate | None:
        index = self.cert_combo.currentIndex()
        return self.certificates[index].certificate if 0 <= index < len(self.certificates) else None

    def _refresh_problems(self) -> None:
        from assistant.prepare.checks import find_problems

        if self.plan is None:
            return
        self.problems = find_problems(self.plan, certificate=self._selected_certificate())
        self._show_problems(self.problems)
        self.sign_button.setEnabled(True)

    def _show_problems(self, problems: list[Problem], error: str = "") -> None:
        self.problem_list.clear()
        if error:
            self._add_line(self.problem_list, "error", error)
            return
        if not problems:
            self._add_line(self.problem_list, "ok", _("Aucun problème détecté."))
        for problem in problems:
            self._add_line(self.problem_list, problem.severity.value, problem.message)

    @staticmethod
    def _add_line(widget: QListWidget, status: str, text: str) -> None:
        mark = {"ok": "✓", "error": "✗", "warning": "!"}.get(status, "•")
        item = QListWidgetItem(f"{mark}  {text}")
        item.setForeground(QColor(STATUS_COLOURS.get(status, "#333")))
        widget.addItem(item)

    # -- stamp ----------------------------------------------------------------------------------

    def _remember_stamp(self, placement: StampPlacement) -> None:
        if placement is not self.preview.placement:
            self.preview.placement = placement
            self.preview.update()
        self.settings.extra[SETTINGS_KEY] = self.visible_signature(force=True).to_settings()  # type: ignore[union-attr]
        self.settings.save()

    def _choose_image(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Signature scannée"), "", _("Images (*.png *.jpg *.jpeg)"))
        if path:
            self.image_edit.setText(path)
            self._remember_stamp(self.preview.placement)

    def visible_signature(self, *, force: bool = False) -> VisibleSignature | None:
        if not (force or self.visible_check.isChecked()):
            return None
        image = self.image_edit.text().strip()
        placement = replace(self.preview.placement, page=self.page_spin.value() or 1)
        return VisibleSignature(placement, Path(image) if image else None)

    # -- certificates ---------------------------------------------------------------------------

    def refresh_certificates(self) -> None:
        settings = self.settings

        def work(_progress: Any) -> Any:
            from assistant.keystores.inventory import list_certificates

            return list_certificates(no_pin, settings)

        self.certificates_listed = False
        run_in_background(work, self.show_certificates, lambda _exc: None, name="prepare-inventory")

    def show_certificates(self, inventory: Any) -> None:
        # qualified signature certificates first: the ones a buyer accepts
        usable = [e for e in inventory.entries if e.verdict.usable_for_signature]
        self.certificates = sorted(usable, key=lambda e: not e.verdict.suitable_for_procurement)
        self.cert_combo.clear()
        for entry in self.certificates:
            until = entry.certificate.not_valid_after_utc.astimezone().strftime("%d/%m/%Y")
            self.cert_combo.addItem(
                _("{name} — émis par {issuer}, expire le {until} — {verdict}").format(
                    name=entry.subject_name, issuer=entry.issuer_name, until=until, verdict=entry.verdict.label
                )
            )
        self.certificates_listed = True
        self._refresh_problems()

    # -- upload estimate -------------------------------------------------------------------------

    def estimate(self, url: str | None = None) -> None:
        """Measure the upload towards the platform (the rules' test URL, or `url`)."""
        if self.plan is None:
            return
        target = url or self.plan.rules.upload_test_url
        if not target:
            self.estimate_label.setText(
                _(
                    "La plateforme n'a pas indiqué d'adresse de test d'envoi : "
                    "chargez ses règles de dépôt pour estimer la durée."
                )
            )
            return
        plan = self.plan
        verify: Any = self.settings.platform_ca_files or True
        self.estimate_label.setText(_("Mesure du débit d'envoi vers la plateforme…"))

        def work(_progress: Any) -> Any:
            from assistant.prepare.checks import deposit_size, deposited_files
            from assistant.prepare.estimate import estimate_upload, measure_upload

            measure = measure_upload(target, verify=verify)
            return estimate_upload(deposit_size(plan), deposited_files(plan), measure, deadline=plan.rules.deadline)

        run_in_background(
            work, self._show_estimate, lambda exc: self.estimate_label.setText(str(exc)), name="prepare-estimate"
        )

    def _show_estimate(self, estimate: Any) -> None:
        from assistant.prepare.estimate import Verdict

        self.last_estimate = estimate
        colour = {Verdict.TOO_LATE: "error", Verdict.THIN: "warning"}.get(estimate.verdict, "ok")
        self.estimate_label.setStyleSheet(f"color: {STATUS_COLOURS[colour]}; font-weight: bold;")
        self.estimate_label.setText(estimate.message_fr)

    # -- signing --------------------------------------------------------------------------------

    def sign(self, key_spec: str | None = None) -> None:
        """Sign the whole bid with the chosen certificate (or `key_spec`: sha256:…, a .p12 path)."""
        from assistant.prepare.deposit import default_destination

        if self.plan is None:
            return
        if key_spec is None:
            index = self.cert_combo.currentIndex()
            if not 0 <= index < len(self.certificates):
                self._show_problems(self.problems, error=_("Choisissez d'abord un certificat de signature."))
                return
            key_spec = f"sha256:{self.certificates[index].fingerprint_sha256}"
        from assistant.progress import CancelToken

        plan, visible, trust = self.plan, self.visible_signature(), self.trust_roots
        level = "B-T" if self.timestamp_check.isChecked() and self.settings.tsa_url else "B-B"
        tsa_url = self.settings.tsa_url or None
        self.cancel_token = cancel = CancelToken()
        destination = default_destination(plan.bid.root)
        settings, pin_callback = self.settings, self.pin_callback
        estimate = getattr(self, "last_estimate", None)

        def work(progress: Any) -> Any:
            from assistant.keystores.selection import release, resolve_key
            from assistant.prepare.workflow import prepare_deposit

            credential = resolve_key(key_spec, pin_callback, settings=settings, allow_module_path=False)
            try:
                return prepare_deposit(
                    plan,
                    credential,
                    destination,
                    visible=visible,
                    trust_roots=trust,
                    level=level,
                    tsa_url=tsa_url,
                    estimate=estimate,
                    progress=progress,
                    cancel=cancel,
                )
            finally:
                release(credential)

        self.sign_button.setEnabled(False)
        self.cancel_button.setVisible(True)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        run_in_background(work, self._show_outcome, self._signing_failed, self._on_progress, name="prepare-sign")

    def cancel(self) -> None:
        """Stop before the next file; nothing is published (the deposit folder is all or nothing)."""
        token = getattr(self, "cancel_token", None)
        if token is not None:
            token.cancel()

    def _on_progress(self, update: Any) -> None:
        if update.steps:
            self.progress.setRange(0, int(update.steps))
            self.progress.setValue(int(update.step or 0))
            self.progress.setFormat(update.label or "%p %")

    def _signing_failed(self, exc: Exception) -> None:
        from assistant.errors import AssistantError

        self.cancel_button.setVisible(False)
        self.progress.setVisible(False)
        self.sign_button.setEnabled(True)
        message = (
            exc.message
            if isinstance(exc, AssistantError)
            else _("La signature a échoué ({name}).").format(name=type(exc).__name__)
        )
        self._show_problems(self.problems, error=message)
        self.finished.emit(None)

    def _show_outcome(self, outcome: PrepareOutcome) -> None:
        self.outcome = outcome
        self.cancel_button.setVisible(False)
        self.progress.setVisible(False)
        self.sign_button.setEnabled(True)
        self._show_problems(outcome.problems)
        self.result_title.setVisible(True)
        self.result_list.setVisible(True)
        self.result_list.clear()
        if outcome.result.folder is None:
            for failed in outcome.result.failed:
                self._add_line(
                    self.result_list, "error", f"{failed.label} : {failed.error.message if failed.error else ''}"
                )
            self._add_line(self.result_list, "error", _("Le dépôt n'a pas été créé : rien n'a été écrit."))
        else:
            for view in outcome.views:
                self._add_line(
                    self.result_list,
                    "ok" if view.ok else "error",
                    f"{view.label} ({view.format.label}) : {view.verdict}",
                )
            self._add_line(
                self.result_list,
                "ok" if outcome.ok else "warning",
                _("Dossier à déposer : {folder}").format(folder=outcome.result.folder),
            )
            self.open_folder.setVisible(True)
            self.open_summary.setVisible(outcome.summary is not None)
            self.open_reports.setVisible(outcome.reports is not None)
        self.finished.emit(outcome)

    @staticmethod
    def _open(path: Path | None) -> None:
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
