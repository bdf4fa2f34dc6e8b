"""Traitements distants: the jobs platforms (and the user) started, live and in history.

Running jobs each get a progress card in the words of the original assistant ("AVANCEMENT GLOBAL
62 %", "Vitesse de téléchargement : 1250 Ko/seconde", "Élément en cours : pli 2 sur 2, enveloppe 1
sur 3, fichier 3 sur 3"); below, the history from the engine's journal (Début, Fin, type, origine,
résultat). Events come from the engine's worker threads and are re-emitted through a Qt signal,
so every widget update happens on the GUI thread.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assistant.jobs.model import JobState
from assistant.ui.widgets import fmt_datetime, page_header, section

if TYPE_CHECKING:
    from assistant.jobs.engine import JobEngine
    from assistant.jobs.model import JobEvent

log = logging.getLogger(__name__)

NO_JOB = "Aucun traitement distant n'est actuellement en cours d'exécution."
HISTORY_COLUMNS = ("Début", "Fin", "Traitement", "Origine", "Résultat")
RESULT_COLOURS = {"succeeded": "#2e8b57", "failed": "#c0392b", "cancelled": "#8a5a00", "interrupted": "#8a5a00"}
#: The model's state names, plus the journal's "interrupted" (a job the assistant's exit cut short).
STATE_LABELS = {**{state.value: state.label_fr for state in JobState}, "interrupted": "Interrompu"}


def origin_label(origin: str) -> str:
    return "Vous-même (cet ordinateur)" if origin == "local" else origin


def speed_text(bps: float) -> str:
    """"1250 Ko/seconde", the original assistant's unit."""
    if bps >= 10 * 1024 * 1024:
        return f"{bps / (1024 * 1024):.1f} Mo/seconde".replace(".", ",")
    return f"{bps / 1024:.0f} Ko/seconde"


class JobCard(QFrame):
    def __init__(self, job: dict[str, Any], engine: JobEngine) -> None:
        super().__init__()
        self.setObjectName("jobCard")
        self.setStyleSheet("#jobCard { border: 1px solid #c9d7ea; border-radius: 6px; background: #f7faff; }")
        self.job_id = str(job["id"])
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 11pt;")
        layout.addWidget(self.title)
        self.started = QLabel()
        layout.addWidget(self.started)
        self.step = QLabel()
        self.step.setObjectName("jobStep")
        self.step.setWordWrap(True)
        layout.addWidget(self.step)
        row = QHBoxLayout()
        overall = QLabel("AVANCEMENT GLOBAL")
        overall.setStyleSheet("font-weight: bold; color: #1f4e8c;")
        row.addWidget(overall)
        self.percent = QLabel()
        self.percent.setObjectName("jobPercent")
        self.percent.setStyleSheet("font-weight: bold; font-size: 12pt;")
        row.addWidget(self.percent)
        row.addStretch(1)
        self.cancel_button = QPushButton("Annuler")
        self.cancel_button.setObjectName("jobCancel")
        self.cancel_button.clicked.connect(lambda: engine.cancel(self.job_id))
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.bar = QProgressBar()
        self.bar.setObjectName("jobBar")
        self.bar.setRange(0, 100)
        layout.addWidget(self.bar)
        self.speed = QLabel()
        self.speed.setObjectName("jobSpeed")
        layout.addWidget(self.speed)
        self.element = QLabel()
        self.element.setObjectName("jobElement")
        self.element.setWordWrap(True)
        layout.addWidget(self.element)
        self.update_from(job)

    def update_from(self, job: dict[str, Any]) -> None:
        progress = job.get("progress") or {}
        state = str(job.get("state", ""))
        self.title.setText(f"{job.get('title', '')} — {STATE_LABELS.get(state, state)}")
        self.started.setText(
            f"Date de lancement de ce traitement : {fmt_datetime(job.get('started_at') or job.get('created_at'))}"
            f"   ·   Origine : {origin_label(str(job.get('origin', '')))}"
        )
        step, steps, label = progress.get("step") or 0, progress.get("steps") or 0, progress.get("label") or ""
        if state == "waiting_user":
            self.step.setText("En attente de votre action (code PIN, choix du certificat ou confirmation)…")
        elif label and steps:
            self.step.setText(f"Étape {step} sur {steps} : {label}")
        else:
            self.step.setText(label or "En attente des étapes précédentes…")
        percent = progress.get("percent")
        if percent is None:
            self.bar.setRange(0, 0)  # busy indicator
            self.percent.setText("")
        else:
            self.bar.setRange(0, 100)
            self.bar.setValue(int(percent))
            self.percent.setText(f"{int(percent)} %")
        speed = float(progress.get("speed_bps") or 0)
        self.speed.setText(f"Vitesse de téléchargement : {speed_text(speed)}" if speed > 0 else "")
        self.speed.setVisible(speed > 0)
        element = progress.get("element") or ""
        self.element.setText(f"Élément en cours : {element}" if element else "")
        self.element.setVisible(bool(element))


class JobsPage(QWidget):
    _engine_event = Signal(object)
    #: emitted after the history table has been refilled
    history_refreshed = Signal()

    def __init__(self, engine: JobEngine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._disposed = False
        self.cards: dict[str, JobCard] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(page_header("Traitements distants", "Traitements lancés par les plateformes et par vous-même."))
        layout.addWidget(section("En cours"))
        self.none_label = QLabel(NO_JOB)
        self.none_label.setObjectName("noJob")
        layout.addWidget(self.none_label)
        self.cards_box = QVBoxLayout()
        layout.addLayout(self.cards_box)
        layout.addWidget(section("Historique"))
        self.history = QTableWidget(0, len(HISTORY_COLUMNS))
        self.history.setObjectName("jobHistory")
        self.history.setHorizontalHeaderLabels(HISTORY_COLUMNS)
        self.history.verticalHeader().setVisible(False)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
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
                self._on_job(job.to_public_dict())
        self.refresh_history()

    def dispose(self) -> None:
        """Stop following the engine (before it shuts down and closes its journal)."""
        self._disposed = True
        self._unsubscribe()
        self._history_timer.stop()

    def _on_event(self, event: JobEvent) -> None:
        if self._disposed:
            return  # an event already queued when the window was closed
        self._on_job(event.job)
        if event.kind == "state":
            self._history_timer.start()

    def _on_job(self, job: dict[str, Any]) -> None:
        job_id = str(job["id"])
        terminal = job.get("state") in ("succeeded", "failed", "cancelled")
        card = self.cards.get(job_id)
        if terminal:
            if card is not None:
                self.cards_box.removeWidget(card)
                card.deleteLater()
                del self.cards[job_id]
        elif card is None:
            card = JobCard(job, self.engine)
            self.cards[job_id] = card
            self.cards_box.addWidget(card)
        else:
            card.update_from(job)
        self.none_label.setVisible(not self.cards)

    def refresh_history(self) -> None:
        if self._disposed:
            return
        try:
            entries = self.engine.journal.history(200)
        except sqlite3.Error as exc:  # journal closed or locked: keep what is shown
            log.info("history not refreshed: %s", exc)
            return
        self.history.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            state = entry.state
            result = STATE_LABELS.get(state, state)
            if entry.error and state == "failed":
                result = f"{result} : {entry.error.get('message', '')}"
            cells = [
                fmt_datetime(entry.started_at or entry.created_at),
                fmt_datetime(entry.ended_at),
                entry.title,
                origin_label(entry.origin),
                result,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column == 4:
                    item.setForeground(QColor(RESULT_COLOURS.get(state, "#1f6fb2")))
                self.history.setItem(row, column, item)
        self.history_refreshed.emit()

    def history_rows(self) -> list[list[str]]:
        rows = []
        for r in range(self.history.rowCount()):
            cells = [self.history.item(r, c) for c in range(self.history.columnCount())]
            rows.append([cell.text() if cell is not None else "" for cell in cells])
        return rows

