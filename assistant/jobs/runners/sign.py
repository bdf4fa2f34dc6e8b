"""Signing job: fetch the files (for a page), one credential chosen by the user, sign the batch
with one PIN entry, send each signature back to the platform (or leave it beside the local files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.jobs.engine import JobContext, RunnerResult
from assistant.jobs.runners.common import batch_failed
from assistant.jobs.runners.keys import credential_for_job
from assistant.jobs.runners.remote import fetch_inputs, remote_files_job
from assistant.progress import ProgressUpdate

STEPS = 4


def run(ctx: JobContext) -> RunnerResult:
    from assistant.signing.batch import sign_files

    with remote_files_job(ctx, "signature") as (params, remote, client, folder):
        if remote:
            assert folder is not None
            (folder / "in").mkdir(exist_ok=True)
            (folder / "out").mkdir(exist_ok=True)
            sources = fetch_inputs(ctx, client, remote, folder / "in", step=1, steps=STEPS, label="Récupération des fichiers à signer", span=0.2)
            out_dir: Path | None = folder / "out"
        else:
            sources = [Path(p).expanduser() for p in params["paths"]]
            out_dir = Path(params["out_dir"]).expanduser() if params.get("out_dir") else None
        ctx.report(ProgressUpdate(step=2, steps=STEPS, label="Choix du certificat de signature"), fraction=0.2)
        credential, close = credential_for_job(ctx, "sign")
        try:
            def relay(update: ProgressUpdate) -> None:
                fraction = 0.2 + 0.6 * (update.fraction or 0.0)
                ctx.report(ProgressUpdate(step=3, steps=STEPS, label=update.label or "Signature", element=update.element), fraction=fraction)

            batch = sign_files(credential, sources, params["format"], level=params.get("level", "B-B"), tsa_url=ctx.settings.tsa_url or None, out_dir=out_dir, progress=relay, cancel=ctx.cancel)
        finally:
            close()
        results: list[dict[str, Any]] = []
        outputs: list[str] = []
        for index, item in enumerate(batch.results):
            entry: dict[str, Any] = {"name": item.source.name, "signature": item.output.name if item.output else None}
            if item.error is not None:
                entry["error"] = item.error.to_dict()
            elif item.output is not None:
                outputs.append(str(item.output))
                if remote:
                    ctx.report(ProgressUpdate(step=4, steps=STEPS, label="Envoi des signatures à la plateforme", element=f"fichier {index + 1} sur {len(batch.results)}"), fraction=0.8 + 0.2 * index / len(batch.results))
                    client.upload(remote[index]["upload_url"], item.output, headers={"X-Signature-Name": _ascii(item.output.name)}, what="envoi de la signature", cancel=ctx.cancel)
                    entry["uploaded"] = True
            results.append(entry)
        result = {"signed": batch.signed, "files": results, "certificate_sha256": credential.fingerprint_sha256}
        local = {} if remote else {"outputs": outputs}
        if not batch.ok:
            first = next(r.error for r in batch.results if r.error is not None) if any(r.error for r in batch.results) else None
            raise batch_failed(len(batch.results) - batch.signed, len(batch.results), ("fichier(s)", "file(s)"),
                               ("n'ont pas été signés", "were not signed"), first, "sign_failed", RunnerResult(result, local))  # fmt: skip
        return RunnerResult(result, local)


def _ascii(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe=" -_.()")
