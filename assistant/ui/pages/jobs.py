"""Traitements distants: the jobs platforms (and the user) started, live and in history.

Running jobs each get a progress card in the words of the original assistant ("AVANCEMENT GLOBAL
62 %", "Vitesse de téléchargement : 1250 Ko/seconde", "Élément en cours : pli 2 sur 2, enveloppe 1
sur 3, fichier 3 sur 3"); below, the history from the engine's journal (Début, Fin, type, origine,
résultat). Events come from the engine's worker threads and are re-emitted through a Qt signal,
so every widget update happens on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from assistant.errors import ErrorInfo
from assistant.i18n import N_, _, localized
from assistant.jobs.model import Job, JobState, Progress
from assistant.jobs.params import DownloadParams, JobParams, OpenParams
from assistant.jobs.results import DownloadResult
from assistant.ui.destination import DestinationBlock
from assistant.ui.dialogs.job_details import JobDetailsDialog
from assistant.ui.folder_questions import FolderQuestion, FolderQuestions
from assistant.ui.history_model import HistoryModel, origin_label
from assistant.ui.labels import element_text, job_title, progress_label, state_label
from assistant.ui.outcomes import describe
from assistant.ui.widgets import ProgressBar, StatusLine, fmt_datetime, fmt_number, page_header, section

if TYPE_CHECKING:
    from assistant.jobs.engine import JobEngine
    from assistant.jobs.model import JobEvent

log = logging.getLogger(__name__)

NO_JOB = N_("Aucun traitement distant n'est actuellement en cours d'exécution.")


def error_text(error: ErrorInfo) -> str:
    """A job's error in the user's language (the job layer keeps French and English)."""
    return localized(error.message, error.message_en)


def speed_text(bps: float) -> str:
    """ "1250 Ko/seconde", the original assistant's unit."""
    if bps >= 10 * 1024 * 1024:
        return _("{value} Mo/seconde").format(value=fmt_number(bps / (1024 * 1024), 1))
    return _("{value} Ko/seconde").format(value=f"{bps / 1024:.0f}")


WAITING = N_("En attente des étapes précédentes...")
DOWNLOAD_SECTION = N_("Téléchargement")
#: Online opening's four steps, in the original assistant's words (step 3's text comes from the job).
OPEN_STEPS = (
    N_("Récupération des fichiers descripteurs"),
    N_("Récupération de la clé privée dans votre magasin de certificats"),
    N_("Déchiffrement"),
    N_("Déchiffrement terminé"),
)
#: Step 3 (decryption) covers this share of an opening's global progress onwards (runners/open.py:
#: 0.3 for the files, then 0.7 spread over the envelopes); its bar shows the decryption alone.
OPEN_DECRYPT_FROM = 0.3
#: Finished download and opening cards stay (100 %, where the files went) until closed; at most this many.
KEEP_FINISHED_CARDS = 5
TERMINAL = ("succeeded", "failed", "cancelled")


def _count_plis(params: JobParams) -> int | None:
    if not isinstance(params, DownloadParams) or params.consultations is None:
        return None
    return sum(len(c.plis) for c in params.consultations)


def _opening_facts(params: JobParams) -> tuple[str, int] | None:
    """(reference, number of envelopes) of an opening's consultation, when the page sent it inline."""
    if not isinstance(params, OpenParams) or params.consultation is None:
        return None
    return params.consultation.shown_reference, params.consultation.envelope_files


class StepRow(QWidget):
    """One step of an opening: ✓ done, ● running, grey waiting; step 3 carries a bar."""

    def __init__(self, number: int, text: str, with_bar: bool = False) -> None:
        super().__init__()
        self.setObjectName(f"openStep{number}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.line = StatusLine("skipped", "")
        self.number = number
        layout.addWidget(self.line)
        self.bar: QProgressBar | None = None
        if with_bar:
            self.bar = ProgressBar()
            self.bar.setObjectName("openStepBar")
            self.bar.setRange(0, 100)
            self.bar.setVisible(False)
            layout.addWidget(self.bar)
        self.set("waiting", text)

    def set(self, state: str, text: str, percent: int | None = None) -> None:
        """`state`: "done", "running" or "waiting"."""
        self.state = state
        self.text = text
        icon = {"done": "ok", "running": "running", "waiting": "skipped"}[state]
        shown = f"<b>{self.number}</b>&nbsp;&nbsp;{text}"
        self.line.set(icon, shown if state != "waiting" else f"<span style='color:#6b7078'>{shown}</span>")
        if self.bar is not None:
            self.bar.setVisible(state == "running" and percent is not None)
            if percent is not None:
                self.bar.setValue(percent)


class JobCard(QFrame):
    """A job in progress, in the original assistant's layout for its type.

    Download: "Nombre de plis chiffrés à télécharger", the "Répertoire de destination" block
    (PARCOURIR, LANCER LE TÉLÉCHARGEMENT while the job asks), then "Téléchargement": "En attente des
    étapes précédentes..." until the download starts, then AVANCEMENT GLOBAL, speed and element.
    Online opening: the consultation's reference, the number of envelopes and the four steps.
    Other jobs: their step, global progress, speed and element.
    """

    #: the user closed a finished card
    dismissed = Signal(str)

    def __init__(self, job: Job, engine: JobEngine, platform_names: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.setObjectName("jobCard")
        self.platform_names = platform_names
        self.setStyleSheet("#jobCard { border: 1px solid #c9d7ea; border-radius: 6px; background: #f7faff; }")
        self.job_id = job.id
        self.kind = job.type.value
        self.engine = engine
        self.state = ""
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("jobTitle")
        self.title.setStyleSheet("font-weight: bold; font-size: 11pt;")
        top.addWidget(self.title, 1)
        self.cancel_button = QPushButton(_("Annuler"))
        self.cancel_button.setObjectName("jobCancel")
        self.cancel_button.clicked.connect(lambda: engine.cancel(self.job_id))
        top.addWidget(self.cancel_button)
        self.close_button = QPushButton(_("Fermer"))
        self.close_button.setObjectName("jobClose")
        self.close_button.setVisible(False)
        self.close_button.clicked.connect(lambda: self.dismissed.emit(self.job_id))
        top.addWidget(self.close_button)
        layout.addLayout(top)
        self.started = QLabel()
        self.started.setObjectName("jobStarted")
        self.started.setWordWrap(True)
        layout.addWidget(self.started)
        # What the job produced, once it is over (the card then collapses to this).
        self.outcome = QLabel()
        self.outcome.setObjectName("jobOutcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.setVisible(False)
        layout.addWidget(self.outcome)
        outcome_row = QHBoxLayout()
        self.open_folder_button = QPushButton(_("Ouvrir le dossier"))
        self.open_folder_button.setObjectName("jobOpenFolder")
        self.open_folder_button.setVisible(False)
        self.open_folder_button.clicked.connect(self.open_folder)
        outcome_row.addWidget(self.open_folder_button)
        self.details_button = QPushButton(_("Détails"))
        self.details_button.setObjectName("jobDetails")
        self.details_button.setCheckable(True)
        self.details_button.setVisible(False)
        self.details_button.toggled.connect(self._show_details)
        outcome_row.addWidget(self.details_button)
        outcome_row.addStretch(1)
        layout.addLayout(outcome_row)
        self.folder: str | None = None
        outer = layout
        self.body = QWidget()
        self.body.setObjectName("jobBody")
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.body)
        #: "Nombre de plis chiffrés à télécharger : 2" / "Référence de la consultation concernée : …"
        self.facts = QLabel()
        self.facts.setObjectName("jobFacts")
        self.facts.setWordWrap(True)
        self.facts.setVisible(False)
        layout.addWidget(self.facts)
        self.error = QLabel()
        self.error.setObjectName("jobError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setVisible(False)

        self.destination: DestinationBlock | None = None
        self.waiting: QLabel | None = None
        self.steps: list[StepRow] = []
        self.summary_plis: int | None = None
        if self.kind == "download":
            self.destination = DestinationBlock()
            layout.addWidget(self.destination)
            self.destination.launched.connect(lambda _folder: self._show_waiting(True))
            layout.addWidget(section(_(DOWNLOAD_SECTION)))
            self.waiting = QLabel(_(WAITING))
            self.waiting.setObjectName("downloadWaiting")
            layout.addWidget(self.waiting)
        self.step = QLabel()
        self.step.setObjectName("jobStep")
        self.step.setWordWrap(True)
        layout.addWidget(self.step)
        self.progress_box = QWidget()
        box = QVBoxLayout(self.progress_box)
        box.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        overall = QLabel(_("AVANCEMENT GLOBAL"))
        overall.setStyleSheet("font-weight: bold; color: #1f4e8c;")
        row.addWidget(overall)
        self.percent = QLabel()
        self.percent.setObjectName("jobPercent")
        self.percent.setStyleSheet("font-weight: bold; font-size: 12pt;")
        row.addWidget(self.percent)
        row.addStretch(1)
        box.addLayout(row)
        self.bar = ProgressBar()
        self.bar.setObjectName("jobBar")
        self.bar.setRange(0, 100)
        box.addWidget(self.bar)
        self.speed = QLabel()
        self.speed.setObjectName("jobSpeed")
        box.addWidget(self.speed)
        self.element = QLabel()
        self.element.setObjectName("jobElement")
        self.element.setWordWrap(True)
        box.addWidget(self.element)
        layout.addWidget(self.progress_box)
        if self.kind == "open":
            self.step.setVisible(False)
            self.progress_box.setVisible(False)
            for number, text in enumerate(OPEN_STEPS, start=1):
                step_row = StepRow(number, _(text), with_bar=number == 3)
                self.steps.append(step_row)
                layout.addWidget(step_row)
        outer.addWidget(self.error)
        self._local_destination()
        self.update_from(job)

    # -- the download's folder question ------------------------------------------------------

    def ask_folder(self, question: FolderQuestion) -> None:
        if self.destination is None:
            return
        self.summary_plis = question.summary.plis
        self.destination.ask(question)
        self._show_waiting(True)
        self._set_facts()

    def _local_destination(self) -> None:
        """A local job names its folder (a page's job says it once the user answered)."""
        if self.destination is None:
            return
        job = self.engine.get(self.job_id)
        if job is None:
            return
        folder = job.result.destination if isinstance(job.result, DownloadResult) else None
        if not folder and job.is_local and isinstance(job.params, DownloadParams):
            folder = job.params.destination
        if folder:
            self.destination.show_folder(str(folder))

    def _show_waiting(self, waiting: bool) -> None:
        if self.waiting is not None:
            self.waiting.setVisible(waiting)
            self.progress_box.setVisible(not waiting)

    def _set_facts(self, job: Job | None = None) -> None:
        params = job.params if job is not None else None
        if self.kind == "download":
            plis = self.summary_plis if self.summary_plis is not None or params is None else _count_plis(params)
            if plis is not None:
                self.facts.setText(_("Nombre de plis chiffrés à télécharger : {count}").format(count=plis))
                self.facts.setVisible(True)
        elif self.kind == "open":
            facts = None if params is None else _opening_facts(params)
            if facts is not None:
                reference, envelopes = facts
                self.facts.setText(
                    _(
                        "Référence de la consultation concernée : {reference}\nNombre d'enveloppes à ouvrir/déchiffrer : {count}"
                    ).format(reference=reference, count=envelopes)
                )
                self.facts.setVisible(True)

    # -- events ------------------------------------------------------------------------------

    def update_from(self, job: Job) -> None:
        progress = job.progress
        state = job.state.value
        self.state = state
        finished = state in TERMINAL
        self.title.setText(f"{job_title(job.title_fr)} — {state_label(state)}")
        started = job.started_at or job.created_at
        self.started.setText(
            _("Date de lancement de ce traitement : {date}   ·   Origine : {origin}").format(
                date=fmt_datetime(started.isoformat(timespec="seconds")),
                origin=origin_label(job.origin, self.platform_names),
            )
        )
        self.cancel_button.setVisible(not finished)
        self.close_button.setVisible(finished)
        error = job.error
        self.error.setText(error_text(error) if state == "failed" and error is not None else "")
        self.error.setVisible(state == "failed" and error is not None)
        if not self.facts.isVisible():
            self._set_facts(job)
        if finished:
            self._local_destination()
            self._show_outcome(job)
        if self.kind == "download":
            self._update_download(job, progress, state)
        elif self.kind == "open":
            self._update_open(progress, state)
        else:
            self._update_generic(progress, state)

    def _show_outcome(self, job: Job) -> None:
        """Collapse the card to what the job produced; "Détails" shows the steps again."""
        outcome = describe(job.result)
        self.outcome.setText("\n".join(outcome.lines))
        self.outcome.setVisible(bool(outcome.lines))
        self.folder = outcome.folder
        self.open_folder_button.setVisible(bool(outcome.folder))
        self.details_button.setVisible(True)
        self.details_button.setChecked(False)
        self.body.setVisible(False)

    def _show_details(self, shown: bool) -> None:
        self.body.setVisible(shown)

    def open_folder(self) -> None:
        if self.folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.folder))

    def _update_generic(self, progress: Progress, state: str) -> None:
        step, steps, label = progress.step, progress.steps, progress_label(progress)
        if state == "waiting_user":
            self.step.setText(_("En attente de votre action (code PIN, choix du certificat ou confirmation)…"))
        elif label and steps:
            self.step.setText(_("Étape {step} sur {steps} : {label}").format(step=step, steps=steps, label=label))
        else:
            self.step.setText(label or _(WAITING))
        self._update_bar(progress)
        element = element_text(progress)
        self.element.setText(_("Élément en cours : {element}").format(element=element) if element else "")
        self.element.setVisible(bool(element))

    def _update_bar(self, progress: Progress) -> None:
        percent = progress.percent
        if percent is None:
            self.bar.setRange(0, 0)  # busy indicator
            self.percent.setText("")
        else:
            self.bar.setRange(0, 100)
            self.bar.setValue(int(percent))
            self.percent.setText(f"{int(percent)} %")
        speed = float(round(progress.speed_bps))
        self.speed.setText(
            _("Vitesse de téléchargement : {speed}").format(speed=speed_text(speed)) if speed > 0 else ""
        )
        self.speed.setVisible(speed > 0)

    def _update_download(self, job: Job, progress: Progress, state: str) -> None:
        asking = (
            self.destination is not None
            and self.destination.question is not None
            and not self.destination.question.answered
        )
        started = bool(progress.bytes_total) or state == "succeeded"
        self.step.setVisible(False)
        self._show_waiting(asking or not started)
        if self.waiting is not None:
            if asking:
                self.waiting.setText(_(WAITING))
            elif state == "waiting_user":
                self.waiting.setText(_("En attente de votre action…"))
            else:
                self.waiting.setText(_(WAITING))
        if not started:
            return
        self._update_bar(progress)
        element = element_text(progress)
        self.element.setText(
            _("Élément en cours de téléchargement : {element}.").format(element=element)
            if element and state not in TERMINAL
            else ""
        )
        self.element.setVisible(bool(self.element.text()))

    def _update_open(self, progress: Progress, state: str) -> None:
        current = progress.step
        if state == "succeeded":
            current = len(OPEN_STEPS) + 1
        fraction = progress.fraction
        decrypted = (
            None
            if fraction is None
            else round(100 * max(0.0, min(1.0, (fraction - OPEN_DECRYPT_FROM) / (1 - OPEN_DECRYPT_FROM))))
        )
        for row in self.steps:
            text = _(OPEN_STEPS[row.number - 1])
            if row.number == 3 and current == 3:
                text = progress_label(progress) or text
            elif row.number == 2 and current == 2 and state == "waiting_user":
                text = _("{step} — en attente de votre action (code PIN ou choix du certificat)").format(step=text)
            if row.number < current or (row.number == current == len(OPEN_STEPS)):
                row.set("done", text)
            elif row.number == current and state not in TERMINAL:
                row.set("running", text, decrypted if row.number == 3 else None)
            else:
                row.set("waiting", text)


class JobsPage(QWidget):
    _engine_event = Signal(object)
    #: emitted after the history table has been refilled
    history_refreshed = Signal()

    def __init__(
        self,
        engine: JobEngine,
        folder_questions: FolderQuestions | None = None,
        parent: QWidget | None = None,
        *,
        platform_names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        #: the names the user gave platforms (the settings' mapping, kept up to date in place)
        self.platform_names = platform_names
        self._disposed = False
        self.cards: dict[str, JobCard] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(
            page_header(_("Traitements distants"), _("Traitements lancés par les plateformes et par vous-même."))
        )
        # The cards scroll (any number stays readable) above the history; the user moves the split.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("jobsSplitter")
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, 1)
        running = QWidget()
        running_layout = QVBoxLayout(running)
        running_layout.setContentsMargins(0, 0, 0, 0)
        running_layout.addWidget(section(_("En cours")))
        self.none_label = QLabel(_(NO_JOB))
        self.none_label.setObjectName("noJob")
        self.none_label.setWordWrap(True)
        running_layout.addWidget(self.none_label)
        self.cards_scroll = QScrollArea()
        self.cards_scroll.setObjectName("jobCards")
        self.cards_scroll.setWidgetResizable(True)
        self.cards_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.cards_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        cards_holder = QWidget()
        self.cards_box = QVBoxLayout(cards_holder)
        self.cards_box.setContentsMargins(0, 0, 4, 0)
        self.cards_box.addStretch(1)
        self.cards_scroll.setWidget(cards_holder)
        running_layout.addWidget(self.cards_scroll, 1)
        self.splitter.addWidget(running)
        history_box = QWidget()
        layout = QVBoxLayout(history_box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.splitter.addWidget(history_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([3000, 1000])  # proportions: the cards first, the history below
        history_title = QLabel(_("Historique"))
        history_title.setStyleSheet(section("").styleSheet())
        layout.addWidget(history_title)
        hint = QLabel(_("Double-cliquez sur une ligne pour voir le résultat du traitement."))
        hint.setObjectName("historyHint")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        layout.addWidget(hint)
        # A model read from the journal a batch at a time as the list scrolls (ui.history_model):
        # ten thousand jobs open as fast as ten.
        self.history_model = HistoryModel(engine.journal, platform_names)
        self.history = QTableView()
        self.history.setModel(self.history_model)
        self.history.setObjectName("jobHistory")
        self.history.verticalHeader().setVisible(False)
        self.history.setWordWrap(False)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setAccessibleName(_("Historique"))
        self.history.doubleClicked.connect(lambda index: self.open_history_row(index.row()))
        self.history.activated.connect(lambda index: self.open_history_row(index.row()))
        self.details_dialog: JobDetailsDialog | None = None
        header = self.history.horizontalHeader()
        for column in (0, 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.history, 1)

        # History refreshes are coalesced: a burst of state changes reads the journal once.
        self._history_timer = QTimer(self)
        self._history_timer.setSingleShot(True)
        self._history_timer.setInterval(150)
        self._history_timer.timeout.connect(self.refresh_history)

        self._engine_event.connect(self._on_event)
        self._unsubscribe = engine.subscribe(self._engine_event.emit)
        for job in engine.jobs():
            if not job.state.terminal:
                self._on_job(job)
        self.refresh_history()
        # A download's "Répertoire de destination" is asked in its card, here.
        self._detach_questions: Callable[[], None] = lambda: None
        if folder_questions is not None:
            self._detach_questions = folder_questions.attach(self.present_folder_question)

    def dispose(self) -> None:
        """Stop following the engine (before it shuts down and closes its journal)."""
        self._disposed = True
        self._unsubscribe()
        self._detach_questions()
        self._history_timer.stop()

    def present_folder_question(self, question: FolderQuestion) -> bool:
        """Show the question in the job's card and bring the window forward on this page."""
        if self._disposed:
            return False
        card = self.cards.get(question.job.id)
        if card is None:
            card = self._add_card(question.job)
        card.ask_folder(question)
        card.update_from(replace(question.job, state=JobState.WAITING_USER))
        window = self.window()
        show_page = getattr(window, "show_page", None)
        if callable(show_page):
            show_page("jobs")
        else:
            window.showNormal()
            window.raise_()
            window.activateWindow()
        return True

    def _on_event(self, event: JobEvent) -> None:
        if self._disposed:
            return  # an event already queued when the window was closed
        self._on_job(event.job)
        if event.kind == "state":
            self._history_timer.start()

    def _add_card(self, job: Job) -> JobCard:
        card = JobCard(job, self.engine, self.platform_names)
        card.dismissed.connect(self._remove_card)
        self.cards[card.job_id] = card
        self.cards_box.insertWidget(self.cards_box.count() - 1, card)  # above the stretch
        return card

    def _remove_card(self, job_id: str) -> None:
        card = self.cards.pop(job_id, None)
        if card is not None:
            self.cards_box.removeWidget(card)
            card.deleteLater()
        self._update_none_label()

    def _update_none_label(self) -> None:
        self.none_label.setVisible(not any(card.state not in TERMINAL for card in self.cards.values()))

    def _on_job(self, job: Job) -> None:
        job_id = job.id
        state = job.state.value
        card = self.cards.get(job_id)
        # A finished job keeps its card, collapsed to its outcome, until the user closes it; a cancel
        # goes to the history only.
        keep = state in ("succeeded", "failed")
        if state in TERMINAL and not keep:
            self._remove_card(job_id)
            return
        if card is None:
            if state in TERMINAL:
                return
            card = self._add_card(job)
        else:
            card.update_from(job)
        if keep:
            finished = [c for c in self.cards.values() if c.state in TERMINAL]
            for old in finished[: max(0, len(finished) - KEEP_FINISHED_CARDS)]:
                self._remove_card(old.job_id)
        self._update_none_label()

    def refresh_history(self) -> None:
        if self._disposed:
            return
        if self.history_model.reload():
            self.history_refreshed.emit()

    def open_history_row(self, row: int) -> None:
        """A history row opens the job's details: dates, state, error and what it produced."""
        entry = self.history_model.entry(row)
        if entry is None:
            return
        known = self.engine.get(entry.id)
        dialog = JobDetailsDialog(entry, self, known.result if known is not None else None, self.platform_names)
        self.details_dialog = dialog
        dialog.show()

    def history_rows(self) -> list[list[str]]:
        """The texts of the rows read so far (what the table shows, scrolled or not)."""
        return [list(self.history_model.cells(row)) for row in range(self.history_model.rowCount())]
