"""The journal and the window with 10,000 jobs in the history (issue 15: a big consultation is
hundreds of downloads and openings, and the journal keeps them all).

Fills a journal through its own API (`Journal.record_job`, the engine's path) with BENCH_JOBS jobs
(10,000 by default) of every type and ending, then measures, in this process under the platform Qt
uses (xvfb-run for a headless machine):
- the journal file's size and the time of one history page (`history(200)`) and of the count;
- opening "Traitements distants" (the JobsPage built and shown, its first rows painted);
- scrolling the history to its very end (the view fetches BATCH rows at a time), and the time of
  one fetch;
- the process's resident memory before and after (RSS, from /proc/self/status).
For comparison, the same rows put into a QTableWidget, one item per cell (the history's former
form, which read at most 200 rows for that reason).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
import uuid
from pathlib import Path

from assistant.errors import ErrorInfo
from assistant.jobs.journal import Journal
from assistant.jobs.model import Job, JobState, JobType
from assistant.jobs.params import DiagnoseParams
from assistant.jobs.results import DownloadResult, OpenResult

JOBS = int(os.environ.get("BENCH_JOBS", "10000"))
ORIGINS = ("https://marches.example.fr", "https://achats.ville.example", "local")


def fill_journal(journal: Journal, count: int) -> None:
    """`count` finished jobs, one a minute back from now (the newest first in the history): downloads
    and openings with their results, some failed with their error, some cancelled."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for index in range(count):
        when = now - dt.timedelta(minutes=count - index)
        kind = (JobType.DOWNLOAD, JobType.OPEN, JobType.DIAGNOSE)[index % 3]
        state = JobState.FAILED if index % 17 == 5 else JobState.CANCELLED if index % 29 == 7 else JobState.SUCCEEDED
        result: DownloadResult | OpenResult | None = None
        if state is JobState.SUCCEEDED and kind is JobType.DOWNLOAD:
            result = DownloadResult(
                files=15, bytes=15 << 20, fetched_bytes=15 << 20, already_verified=0,
                refetched_after_hash_mismatch=0, failed=(), folder=f"C-{index}",
            )  # fmt: skip
        elif state is JobState.SUCCEEDED and kind is JobType.OPEN:
            result = OpenResult(
                consultation=f"C-{index}", envelopes=15, uploaded=15, bytes_uploaded=15 << 20,
                recipient_certificate_sha256="00" * 32,
            )  # fmt: skip
        job = Job(
            id=uuid.uuid4().hex,
            type=kind,
            origin=ORIGINS[index % len(ORIGINS)],
            params=DiagnoseParams(),
            state=state,
            created_at=when,
            started_at=when,
            ended_at=when + dt.timedelta(seconds=30),
            result=result,
            error=ErrorInfo("network", "La plateforme ne répond pas.", "The platform does not answer.")
            if state is JobState.FAILED
            else None,
            label=f"Consultation C-{index}" if kind is not JobType.DIAGNOSE else "",
        )
        journal.record_job(job)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> dict[str, object]:
    from PySide6.QtWidgets import QApplication, QTableWidget, QTableWidgetItem

    from assistant.jobs.engine import JobEngine
    from assistant.settings import Settings
    from assistant.ui.application import ensure_application
    from assistant.ui.interaction import QtUserInteraction
    from assistant.ui.pages.jobs import JobsPage

    app = ensure_application()
    figures: dict[str, object] = {"jobs": JOBS, "load_average": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory(prefix="amp-bench-history-") as tmp:
        path = Path(tmp) / "journal.sqlite3"
        journal = Journal(path)
        start = time.perf_counter()
        fill_journal(journal, JOBS)
        figures["fill_s"] = round(time.perf_counter() - start, 2)
        journal.close()
        figures["journal_mib"] = round(sum(p.stat().st_size for p in Path(tmp).iterdir()) / (1 << 20), 2)

        interaction = QtUserInteraction()
        engine = JobEngine(interaction=interaction, settings=Settings(), journal_path=path)
        start = time.perf_counter()
        for _ in range(20):
            engine.journal.history(200)
        figures["history_page_ms"] = round((time.perf_counter() - start) / 20 * 1000, 2)
        start = time.perf_counter()
        engine.journal.history_count()
        figures["history_count_ms"] = round((time.perf_counter() - start) * 1000, 2)

        rss_before = rss_mib()
        start = time.perf_counter()
        page = JobsPage(engine)
        page.resize(1024, 700)
        page.show()
        app.processEvents()
        page.repaint()
        figures["open_page_ms"] = round((time.perf_counter() - start) * 1000, 1)
        figures["rows_after_open"] = page.history_model.rowCount()
        figures["rss_open_mib"] = round(rss_mib() - rss_before, 1)

        model = page.history_model
        start = time.perf_counter()
        fetches = 0
        while model.canFetchMore():
            page.history.scrollToBottom()
            app.processEvents()
            fetches += 1
            if fetches > JOBS:  # a view that never fetches: stop, the figure says so
                break
        figures["scroll_to_end_s"] = round(time.perf_counter() - start, 2)
        figures["rows_after_scroll"] = model.rowCount()
        figures["journal_reads"] = model.reads
        figures["ms_per_fetch_and_paint"] = round((time.perf_counter() - start) / max(1, fetches) * 1000, 1)
        figures["rss_scrolled_mib"] = round(rss_mib() - rss_before, 1)
        page.dispose()
        page.close()

        # The former form: a QTableWidget with an item per cell, for all the rows.
        entries = engine.journal.history(JOBS)
        rss_before = rss_mib()
        start = time.perf_counter()
        table = QTableWidget(len(entries), 5)
        for row in range(len(entries)):
            for column, text in enumerate(model.cells(row)):
                table.setItem(row, column, QTableWidgetItem(text))
        table.resize(1024, 400)
        table.show()
        app.processEvents()
        figures["table_widget_fill_s"] = round(time.perf_counter() - start, 2)
        figures["table_widget_rss_mib"] = round(rss_mib() - rss_before, 1)
        table.close()
        interaction.invoker.close()
        engine.shutdown(wait=True)
        QApplication.processEvents()
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
