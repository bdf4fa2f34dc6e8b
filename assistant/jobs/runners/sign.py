"""Signing job: fetch the files (for a page), one credential chosen by the user, sign the batch
with one PIN entry, send each signature back to the platform (or leave it beside the local files).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from assistant.errors import CancelledError, Code
from assistant.i18n import M_
from assistant.jobs.context import JobContext
from assistant.jobs.interaction import FileToSign
from assistant.jobs.params import SignParams
from assistant.jobs.results import SignedFile, SignResult
from assistant.jobs.runners.common import batch_failed
from assistant.jobs.runners.keys import credential_for_job
from assistant.jobs.runners.remote import fetch_inputs, remote_files_job
from assistant.progress import Count, Phase, ProgressUpdate, Unit

STEPS = 4


def run(ctx: JobContext, params: SignParams) -> SignResult:
    from assistant.signing.batch import sign_files

    remote = params.files or ()
    with remote_files_job(ctx, "signature", remote) as (client, folder):
        if folder is not None:
            (folder / "in").mkdir(exist_ok=True)
            (folder / "out").mkdir(exist_ok=True)
            sources = fetch_inputs(
                ctx, client, remote, folder / "in", step=1, steps=STEPS, phase=Phase.FETCH_FILES_TO_SIGN, span=0.2
            )
            out_dir: Path | None = folder / "out"
        else:
            sources = [Path(p).expanduser() for p in params.paths or ()]
            out_dir = Path(params.out_dir).expanduser() if params.out_dir else None
        ctx.report(ProgressUpdate(step=2, steps=STEPS, phase=Phase.CHOOSE_SIGNING_CERTIFICATE), fraction=0.2)
        if not ctx.job.is_local:
            # The user sees the platform and every file before any certificate, each time.
            shown_format = {"pades": "PAdES", "cades": "CAdES", "xades": "XAdES"}.get(
                str(params.format).lower(), str(params.format)
            )
            shown = [FileToSign(s.name, s.stat().st_size, shown_format) for s in sources]
            if not ctx.approve_signature(shown):
                raise CancelledError()
        credential, close = credential_for_job(ctx, "sign", params.key)
        try:

            def relay(update: ProgressUpdate) -> None:
                fraction = 0.2 + 0.6 * (update.fraction or 0.0)
                phase = update.phase or Phase.SIGN
                ctx.report(
                    replace(update, step=3, steps=STEPS, phase=phase, bytes_done=0, bytes_total=0), fraction=fraction
                )

            batch = sign_files(
                credential,
                sources,
                params.format,
                level=params.level or "B-B",
                tsa_url=ctx.settings.tsa_url or None,
                out_dir=out_dir,
                progress=relay,
                cancel=ctx.cancel,
            )
        finally:
            close()
        files: list[SignedFile] = []
        outputs: list[str] = []
        for index, item in enumerate(batch.results):
            signature = item.output.name if item.output else None
            uploaded = False
            if item.error is None and item.output is not None:
                outputs.append(str(item.output))
                if remote:
                    position = (Count(Unit.FILE, index + 1, len(batch.results)),)
                    ctx.report(
                        ProgressUpdate(step=4, steps=STEPS, phase=Phase.SEND_SIGNATURES, position=position),
                        fraction=0.8 + 0.2 * index / len(batch.results),
                    )
                    upload_url = remote[index].upload_url
                    assert upload_url is not None  # required for a page's files (descriptor)
                    client.upload(
                        upload_url,
                        item.output,
                        headers={"X-Signature-Name": _ascii(item.output.name)},
                        what=M_("envoi de la signature"),
                        cancel=ctx.cancel,
                    )
                    uploaded = True
            error = item.error.info() if item.error is not None else None
            files.append(SignedFile(item.source.name, signature, error, uploaded))
        result = SignResult(
            batch.signed, tuple(files), credential.fingerprint_sha256, outputs=None if remote else tuple(outputs)
        )
        if not batch.ok:
            first = next((r.error for r in batch.results if r.error is not None), None)
            raise batch_failed(
                M_(
                    "{failed} fichier(s) sur {total} n'ont pas été signés",
                    failed=len(batch.results) - batch.signed,
                    total=len(batch.results),
                ),
                first,
                Code.SIGN_FAILED,
                result,
            )
        return result


def _ascii(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe=" -_.()")
