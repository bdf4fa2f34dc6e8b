"""Offline decryption of a folder downloaded earlier (local origin only: it names paths)."""

from __future__ import annotations

from pathlib import Path

from assistant.jobs.engine import JobContext, RunnerResult
from assistant.jobs.runners.common import batch_failed
from assistant.jobs.runners.keys import credential_for_job
from assistant.progress import ProgressUpdate


def run(ctx: JobContext) -> RunnerResult:
    from assistant.envelopes.folder import decrypt_folder

    folder = Path(ctx.params["folder"]).expanduser()
    out_dir = Path(ctx.params.get("out_dir") or f"{folder} - déchiffré").expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx.report(ProgressUpdate(step=0, steps=1, label="Récupération de la clé privée dans votre magasin de certificats"))
    credential, close = credential_for_job(ctx, "decrypt")
    try:
        credential.login()  # one PIN request, during this step, before the first envelope
        outcomes = decrypt_folder(folder, [credential], out_dir, extract=ctx.params.get("extract", True), progress=ctx.progress, cancel=ctx.cancel)
    finally:
        close()
    failed = [o for o in outcomes if not o.ok]
    result = {"envelopes": len(outcomes), "decrypted": len(outcomes) - len(failed), "failed": [{"file": o.source.name, "error": o.error.to_dict() if o.error else None} for o in failed]}
    local = {"out_dir": str(out_dir), "outcomes": [o.to_dict() for o in outcomes]}
    if failed:
        raise batch_failed(len(failed), len(outcomes), ("enveloppe(s)", "envelope(s)"),
                           ("n'ont pas pu être déchiffrées", "could not be decrypted"), failed[0].error, "decrypt_failed",
                           RunnerResult(result, local))  # fmt: skip
    return RunnerResult(result, local)
