"""Verification job: the verification report of each file, for the page (no local paths)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.jobs.engine import JobContext, RunnerResult
from assistant.jobs.runners.remote import fetch_inputs, remote_files_job
from assistant.progress import ProgressUpdate


def _public(report: dict[str, Any], name: str) -> dict[str, Any]:
    report = dict(report)
    report["file"] = name
    if report.get("signed_file"):
        report["signed_file"] = Path(str(report["signed_file"])).name
    return report


def run(ctx: JobContext) -> RunnerResult:
    from assistant.signing.verify import verify_file

    with remote_files_job(ctx, "verification") as (params, remote, client, folder):
        if folder is not None:
            sources = fetch_inputs(ctx, client, remote, folder, step=1, steps=2, label="Récupération des fichiers", span=0.3)
        else:
            sources = [Path(p).expanduser() for p in params["paths"]]
        detached = Path(params["detached_of"]).expanduser() if params.get("detached_of") else None
        reports = []
        for index, source in enumerate(sources):
            ctx.report(ProgressUpdate(step=2, steps=2, label=f"Vérification du fichier {index + 1} sur {len(sources)}"), fraction=0.3 + 0.7 * index / len(sources))
            try:
                reports.append(_public(verify_file(source, detached_of=detached).to_dict(), source.name))
            except AssistantError as exc:
                reports.append({"file": source.name, "ok": False, "error": exc.to_dict()})
        result = {"reports": reports, "ok": all(r.get("ok") for r in reports)}
        if params.get("report_url"):
            client.upload(params["report_url"], json.dumps(result, ensure_ascii=False).encode(), content_type="application/json", what="envoi du rapport", cancel=ctx.cancel)
        return RunnerResult(result, {"paths": [str(s) for s in sources]} if folder is None else {})
