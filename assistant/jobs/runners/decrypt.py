"""Offline decryption of a folder downloaded earlier (local origin only: it names paths)."""

from __future__ import annotations

from pathlib import Path

from assistant.i18n import M_, _
from assistant.jobs.context import JobContext
from assistant.jobs.errors import JobCode
from assistant.jobs.params import DecryptParams
from assistant.jobs.results import DecryptResult, FailedItem
from assistant.jobs.runners.common import batch_failed
from assistant.jobs.runners.keys import credential_for_job
from assistant.progress import Phase, ProgressUpdate


def run(ctx: JobContext, params: DecryptParams) -> DecryptResult:
    from assistant.envelopes.folder import decrypt_folder

    folder = Path(params.folder).expanduser()
    out_dir = Path(params.out_dir or _("{folder} - déchiffré").format(folder=folder)).expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx.report(ProgressUpdate(step=0, steps=1, phase=Phase.PRIVATE_KEY))
    credential, close = credential_for_job(ctx, "decrypt", params.key)
    try:
        credential.login()  # one PIN request, during this step, before the first envelope
        extract = True if params.extract is None else params.extract
        outcomes = decrypt_folder(
            folder, [credential], out_dir, extract=extract, progress=ctx.progress, cancel=ctx.cancel
        )
    finally:
        close()
    failed = [o for o in outcomes if not o.ok]
    result = DecryptResult(
        envelopes=len(outcomes),
        decrypted=len(outcomes) - len(failed),
        failed=tuple(FailedItem(o.source.name, o.error.info() if o.error else None) for o in failed),
        out_dir=str(out_dir),
        outcomes=tuple(dict(o.to_dict()) for o in outcomes),
    )
    if failed:
        raise batch_failed(
            M_(
                "{failed} enveloppe(s) sur {total} n'ont pas pu être déchiffrées",
                failed=len(failed),
                total=len(outcomes),
            ),
            failed[0].error,
            JobCode.DECRYPT_FAILED,
            result,
        )
    return result
