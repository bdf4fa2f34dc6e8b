"""The "Historique" of Traitements distants as a Qt model read from the journal a page at a time.

A busy workstation keeps thousands of jobs (a big consultation alone is hundreds of downloads and
openings). The history used to be a QTableWidget filled with one item per cell, capped at 200 rows:
older jobs could not be seen, and lifting the cap meant 50,000 items built on every refresh. Here a
QTableView asks for the rows it shows: `fetchMore` reads the next BATCH rows from SQLite (newest
first, through the journal's index) when the user scrolls near the end, and the cells' texts are
made for the rows read. Opening the page reads one batch, whatever the journal's size.

The model is a QStandardItemModel filled through setData: the cells live in C++ and no Python
object is kept per cell (bench/bench_history.py, 10,000 rows scrolled to the end: 28 MB for the
page in all, against 51 MB with QStandardItems made in Python); Python only decides when to read
more. Cells are texts made once per row read, in the user's language.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QStandardItemModel

from assistant.i18n import N_, _, localized
from assistant.ui.labels import job_title, state_label
from assistant.ui.platforms import platform_label
from assistant.ui.widgets import fmt_datetime

if TYPE_CHECKING:
    from assistant.jobs.journal import HistoryEntry, Journal

log = logging.getLogger(__name__)

HISTORY_COLUMNS = (N_("Début"), N_("Fin"), N_("Traitement"), N_("Origine"), N_("Résultat"))
RESULT_COLOURS = {"succeeded": "#2e8b57", "failed": "#c0392b", "cancelled": "#8a5a00", "interrupted": "#8a5a00"}
#: rows read from the journal at a time (about ten screens of the table)
BATCH = 200

_Index = QModelIndex | QPersistentModelIndex


def origin_label(origin: str, names: Mapping[str, str] | None = None) -> str:
    """Who started a job: "Vous-même", or the platform by its name (ui.platforms)."""
    return _("Vous-même (cet ordinateur)") if origin == "local" else platform_label(origin, names)


class HistoryModel(QStandardItemModel):
    """The journal's jobs, newest first, read BATCH rows at a time as the view scrolls."""

    def __init__(self, journal: Journal, platform_names: Mapping[str, str] | None = None) -> None:
        super().__init__(0, len(HISTORY_COLUMNS))
        self.setHorizontalHeaderLabels([_(c) for c in HISTORY_COLUMNS])
        self.journal = journal
        self.platform_names = platform_names
        #: the ids of the rows read (a job's whole entry is read again when opened)
        self._ids: list[str] = []
        self._total = 0
        #: journal reads made (the tests check the rows come a batch at a time)
        self.reads = 0

    # -- reading the journal ---------------------------------------------------------------

    def reload(self) -> bool:
        """Read the newest batch again (a job started or ended); False when the journal cannot be
        read (closed or locked): what is shown stays.

        The rows already read further down stay: the fresh batch replaces the rows down to where
        its oldest job is found (new jobs push the others down; the ones that changed are recent),
        so a refresh costs one batch however far the user has scrolled.
        """
        try:
            total = self.journal.history_count()
            fresh = self.journal.history(BATCH, 0) if total else []
        except sqlite3.Error as exc:
            log.info("history not refreshed: %s", exc)
            return False
        self.reads += 1
        self._total = total
        anchor = None
        if fresh and len(fresh) == BATCH:
            oldest = fresh[-1].id
            anchor = next((row for row, job_id in enumerate(self._ids) if job_id == oldest), None)
        if anchor is None:
            self._ids = []
            self.setRowCount(0)
            self._insert(0, fresh)
        else:
            self.removeRows(0, anchor + 1)
            del self._ids[: anchor + 1]
            self._insert(0, fresh)
        return True

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return not parent.isValid() and len(self._ids) < self._total

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008 - Qt's signature
        if parent.isValid():
            return
        try:
            more = self.journal.history(BATCH, len(self._ids))
        except sqlite3.Error as exc:
            log.info("history not read further: %s", exc)
            return
        self.reads += 1
        if not more:
            self._total = len(self._ids)
        self._insert(len(self._ids), more)

    def _insert(self, position: int, entries: list[HistoryEntry]) -> None:
        """Rows made by the model itself (setData on new rows): no Python object kept per cell."""
        if not entries:
            return
        self.insertRows(position, len(entries))
        display, tooltip, foreground = (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.ForegroundRole,
        )
        for offset, entry in enumerate(entries):
            row = position + offset
            cells = self._texts(entry)
            for column, text in enumerate(cells):
                self.setData(self.index(row, column), text, display)
            result = self.index(row, 4)
            self.setData(result, cells[4], tooltip)  # an error can be longer than the column
            self.setData(result, QBrush(QColor(RESULT_COLOURS.get(entry.state, "#1f6fb2"))), foreground)
        self._ids[position:position] = [entry.id for entry in entries]

    def _texts(self, entry: HistoryEntry) -> tuple[str, ...]:
        result = state_label(entry.state)
        if entry.error and entry.state == "failed":
            result = f"{result} : {localized(entry.error.message, entry.error.message_en)}"
        return (
            fmt_datetime(entry.started_at or entry.created_at),
            fmt_datetime(entry.ended_at),
            job_title(entry.title),
            origin_label(entry.origin, self.platform_names),
            result,
        )

    # -- what the view shows ---------------------------------------------------------------

    @property
    def total(self) -> int:
        """How many jobs the journal held at the last reload."""
        return self._total

    def entry(self, row: int) -> HistoryEntry | None:
        """The row's job as the journal holds it (read when asked: a row opened)."""
        if not 0 <= row < len(self._ids):
            return None
        try:
            return self.journal.history_entry(self._ids[row])
        except sqlite3.Error as exc:
            log.info("history entry not read: %s", exc)
            return None

    def cells(self, row: int) -> tuple[str, ...]:
        """The row's five texts, as shown."""
        return tuple(str(self.data(self.index(row, column)) or "") for column in range(len(HISTORY_COLUMNS)))
