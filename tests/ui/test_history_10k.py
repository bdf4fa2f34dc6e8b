"""Traitements distants with 10,000 jobs in the journal (issue 15): the history opens reading one
batch of rows, creates no widget per row, reads further only as the user scrolls, and every row
down to the oldest job can be reached and opened.

The journal is filled through its own API (Journal.record_job, as the engine writes it), with the
bench's filler (bench/bench_history.py measures the same page's times and memory)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from assistant.jobs.engine import JobEngine
from assistant.jobs.journal import Journal
from assistant.settings import Settings
from assistant.ui.history_model import BATCH
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from bench.bench_history import fill_journal

JOBS = 10_000


def open_window(qtbot: Any, interaction: QtUserInteraction, journal: Path) -> tuple[JobEngine, MainWindow]:
    engine = JobEngine(interaction=interaction, settings=Settings(), journal_path=journal)
    window = MainWindow(engine, None, engine.settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    window.show_page("jobs")
    return engine, window


@pytest.fixture
def big_journal(tmp_path: Path) -> Path:
    path = tmp_path / "big" / "journal.sqlite3"
    path.parent.mkdir()
    journal = Journal(path)
    fill_journal(journal, JOBS)
    journal.close()
    return path


@pytest.fixture
def small_window(qtbot: Any, interaction: QtUserInteraction, tmp_path: Path) -> Iterator[int]:
    """How many widgets the jobs page has over a journal of 10 jobs (the reference)."""
    path = tmp_path / "small" / "journal.sqlite3"
    path.parent.mkdir()
    journal = Journal(path)
    fill_journal(journal, 10)
    journal.close()
    engine, window = open_window(qtbot, interaction, path)
    try:
        assert window.jobs.history_model.rowCount() == 10
        yield len(window.jobs.findChildren(QWidget))
    finally:
        window.dispose()
        engine.shutdown(wait=True)


def test_history_of_10000_jobs_is_read_a_batch_at_a_time(
    qtbot: Any, interaction: QtUserInteraction, big_journal: Path, small_window: int
) -> None:
    engine, window = open_window(qtbot, interaction, big_journal)
    try:
        page = window.jobs
        model = page.history_model
        # Opening the page read one batch: the newest jobs, and the count of all of them.
        assert model.total == JOBS
        assert model.rowCount() == BATCH and model.reads == 1
        newest = page.history_rows()[0]
        assert newest[2] in ("Consultation C-9999", "Test de la configuration utilisateur"), newest
        # No widget per row: the page has as many widgets as over a journal of ten jobs.
        assert len(page.findChildren(QWidget)) == small_window
        assert page.history.indexWidget(model.index(0, 0)) is None

        # Scrolling down reads the next batches, one at a time, down to the oldest job.
        reads = [model.rowCount()]
        while model.canFetchMore():
            page.history.scrollToBottom()
            qtbot.wait(1)
            if model.rowCount() != reads[-1]:
                reads.append(model.rowCount())
            assert len(reads) <= JOBS // BATCH + 1
        assert model.rowCount() == JOBS
        assert all(b - a == BATCH for a, b in itertools.pairwise(reads)), reads
        assert model.reads == JOBS // BATCH  # the first read and one per batch after it
        assert len(page.findChildren(QWidget)) == small_window

        # The oldest job, at the very end, opens like the newest.
        oldest = model.entry(JOBS - 1)
        assert oldest is not None and oldest.title == "Consultation C-0"
        page.open_history_row(JOBS - 1)
        dialog = page.details_dialog
        assert dialog is not None and dialog.isVisible()
        assert dialog.windowTitle() == "Consultation C-0"
        assert dialog.outcome.toPlainText().splitlines()[0] == "15 fichiers téléchargés (15 Mo)"
        dialog.close()

        # A job that ends reloads the newest rows, as many as were read (the scroll is kept).
        local = engine.submit({"version": 1, "type": "diagnose", "params": {}}, "local")
        assert engine.wait(local.id, timeout=60) is not None
        qtbot.waitUntil(lambda: model.total == JOBS + 1 and model.rowCount() == JOBS + 1, timeout=15000)
        assert page.history_rows()[0][2] == "Test de la configuration utilisateur"
    finally:
        window.dispose()
        engine.shutdown(wait=True)
