"""Verification job: the verification report of each file, for the page (no local paths)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.i18n import M_
from assistant.jobs.context import JobContext
from assistant.jobs.params import VerifyParams
from assistant.jobs.results import FileVerification, VerifyResult
from assistant.jobs.runners.remote import fetch_inputs, remote_files_job
from assistant.progress import Phase, ProgressUpdate


def _public(report: dict[str, Any], name: str) -> FileVerification:
    """The signing layer's report without local paths (the signed file by its name only)."""
    report = dict(report)
    if report.get("signed_file"):
        report["signed_file"] = Path(str(report["signed_file"])).name
    ok = bool(report.pop("ok", False))
    report.pop("file", None)
    return FileVerification(file=name, ok=ok, report=report)


def run(ctx: JobContext, params: VerifyParams) -> VerifyResult:
    from assistant.signing.anchors import load_certificates
    from assistant.signing.verify import Verifier

    # The user's own anchors: those of "Options avancées", and (local jobs only: the descriptor
    # refuses the field from a page) those chosen for this verification.
    anchors = load_certificates([*ctx.settings.verify_trust_anchors, *(params.trust or ())]) or None
    remote = params.files or ()
    with remote_files_job(ctx, "verification", remote) as (client, folder):
        if folder is not None:
            sources = fetch_inputs(ctx, client, remote, folder, step=1, steps=2, phase=Phase.FETCH_FILES, span=0.3)
        else:
            sources = [Path(p).expanduser() for p in params.paths or ()]
        detached = Path(params.detached_of).expanduser() if params.detached_of else None
        reports: list[FileVerification] = []
        with Verifier(extra_trust_roots=anchors) as verifier:  # anchors and lists loaded once for all files
            for index, source in enumerate(sources):
                ctx.report(
                    ProgressUpdate(step=2, steps=2, phase=Phase.VERIFY_FILE, item=index + 1, items=len(sources)),
                    fraction=0.3 + 0.7 * index / len(sources),
                )
                try:
                    report = verifier.verify(source, detached_of=detached)
                    reports.append(_public(report.to_dict(), source.name))
                except AssistantError as exc:
                    reports.append(FileVerification(file=source.name, ok=False, error=exc.info()))
        result = VerifyResult(tuple(reports), paths=tuple(str(s) for s in sources) if folder is None else None)
        if params.report_url:
            client.upload(
                params.report_url,
                json.dumps(result.to_json(), ensure_ascii=False).encode(),
                content_type="application/json",
                what=M_("envoi du rapport"),
                cancel=ctx.cancel,
            )
        return result
