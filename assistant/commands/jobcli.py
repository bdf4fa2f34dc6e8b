"""Running one job from the command line: submit to an engine, draw a terminal bar, wait.

Shared by `assistant download` and `assistant open`. The bar is a third view of the same progress
events the UI and the bridge show. Ctrl-C cancels the job and waits for it to stop cleanly.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from assistant.i18n import N_, _, localized
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.model import LOCAL_ORIGIN, JobEvent, JobState
from assistant.jobs.results import DownloadResult
from assistant.ui.labels import element_text, job_title, progress_label
from assistant.units import format_size

#: The result fields worth a line in the terminal (French source, shown translated).
LABELS_FR = {
    "files": N_("fichiers"),
    "bytes": N_("taille totale"),
    "fetched_bytes": N_("reçus par le réseau"),
    "already_verified": N_("déjà présents et vérifiés"),
    "refetched_after_hash_mismatch": N_("refusés (empreinte) puis téléchargés à nouveau"),
    "connections": N_("connexions simultanées"),
    "consultation": N_("consultation"),
    "envelopes": N_("enveloppes"),
    "uploaded": N_("transmises à la plateforme"),
    "bytes_uploaded": N_("volume transmis"),
    "signed": N_("fichiers signés"),
    "decrypted": N_("enveloppes déchiffrées"),
}


class TerminalBar:
    def __init__(self, stream: Any = sys.stderr) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.last = 0.0
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, event: JobEvent) -> None:
        progress = event.job.progress
        label, element = progress_label(progress), element_text(progress)
        if progress.percent is None and not label:
            return  # queued / starting: nothing to draw yet
        now = time.monotonic()
        with self.lock:
            if event.kind == "progress" and now - self.last < (0.2 if self.tty else 2.0):
                return
            self.last = now
            percent = progress.percent
            parts = [f"{percent:3d} %" if percent is not None else "  … "]
            if round(progress.speed_bps):
                parts.append(f"{format_size(round(progress.speed_bps))}/s")
            if label:
                parts.append(label)
            if element:
                parts.append(element)
            line = " · ".join(parts)
            if self.tty:
                self.stream.write("\r\x1b[2K" + line[:200])
            else:
                self.stream.write(line + "\n")
            self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")


def run_local_job(
    descriptor: Mapping[str, Any], interaction: HeadlessInteraction, *, as_json: bool = False, quiet: bool = False
) -> int:
    engine = JobEngine(interaction=interaction, workers=1)
    bar = TerminalBar()
    unsubscribe = engine.subscribe(bar) if not quiet else (lambda: None)
    try:
        job = engine.submit(descriptor, LOCAL_ORIGIN)
        try:
            final = engine.wait(job.id)
        except KeyboardInterrupt:
            engine.cancel(job.id)
            final = engine.wait(job.id, timeout=30)
        bar.done()
    finally:
        unsubscribe()
        engine.shutdown(wait=True)
    assert final is not None
    if as_json:
        print(json.dumps({**final.to_public_dict(), "local": final.local_result_json()}, ensure_ascii=False, indent=2))
    elif final.state is JobState.SUCCEEDED:
        print(_("{title} : terminé.").format(title=job_title(final.title_fr)))
        for key, value in (final.result.to_json() if final.result is not None else {}).items():
            if key in LABELS_FR and value not in ([], None):
                shown = format_size(value) if key.endswith("bytes") else value
                print("  " + _("{label} : {value}").format(label=_(LABELS_FR[key]), value=shown))
        if isinstance(final.result, DownloadResult) and final.result.destination:
            print(_("  dossier : {destination}").format(destination=final.result.destination))
    if final.error:
        print(f"assistant: {localized(final.error.message, final.error.message_en)}", file=sys.stderr)
    if final.state is JobState.SUCCEEDED:
        return 0
    return 130 if final.state is JobState.CANCELLED else 1
