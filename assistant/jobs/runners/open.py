"""Online opening (ouverture en ligne): the four steps of the original assistant.

1 Récupération des fichiers descripteurs: the envelopes are downloaded (verified, resumable) into a private
  work folder; 2 Récupération de la clé privée: the user's bi-clé, PIN asked once; 3 Déchiffrement
  de l'enveloppe i sur N: each envelope is decrypted to a private temporary file, sent to the
  platform's upload URL and forgotten; 4 Déchiffrement terminé. Nothing decrypted stays on disk unless
  the local user asked (`keep_decrypted_in`). An opening interrupted by a crash resumes: envelopes
  already delivered (journal) are not decrypted or sent again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from assistant import paths
from assistant.errors import OutputError
from assistant.i18n import M_
from assistant.jobs.context import JobContext
from assistant.jobs.params import Consultation, Envelope, OpenParams, Pli, RemoteFile
from assistant.jobs.results import OpenResult
from assistant.jobs.runners.common import load_params, platform_client
from assistant.jobs.runners.keys import credential_for_job
from assistant.keystores.base import Credential
from assistant.platform.client import HashMismatchError
from assistant.progress import Count, Phase, ProgressCallback, ProgressUpdate, Unit

STEPS = 4
#: A decrypted envelope up to this size stays in memory until sent; a bigger one goes to an
#: unnamed file. 8 MiB keeps every usual document (PDFs, spreadsheets) off the disk while the
#: opening's peak stays ~50 MB under the 32 MiB this used to be (measured: 1,000 envelopes,
#: 126 MB at 32 MiB).
SPOOL_IN_MEMORY = 8 << 20


def _workspace(ctx: JobContext, consultation: Consultation) -> tuple[Path, str]:
    first = consultation.plis[0].envelopes[0].files[0].url
    scope = hashlib.sha256(f"{ctx.origin}\n{consultation.id}\n{first}".encode()).hexdigest()[:20]
    folder = paths.cache_dir() / "ouverture" / scope
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder, f"open:{scope}"


def run(ctx: JobContext, params: OpenParams) -> OpenResult:
    params, token = load_params(ctx, params)
    consultation = params.consultation
    assert consultation is not None  # the descriptor requires it, inline or at descriptor_url
    entries: list[tuple[Pli, Envelope, RemoteFile, tuple[Count, ...]]] = []
    plis = consultation.plis
    for p_index, pli in enumerate(plis, start=1):
        for e_index, envelope in enumerate(pli.envelopes, start=1):
            for f_index, file in enumerate(envelope.files, start=1):
                position: tuple[Count, ...] = (
                    Count(Unit.PLI, p_index, len(plis)),
                    Count(Unit.ENVELOPE, e_index, len(pli.envelopes)),
                )
                if len(envelope.files) > 1:
                    position += (Count(Unit.FILE, f_index, len(envelope.files)),)
                entries.append((pli, envelope, file, position))
    total = len(entries)
    work, scope = _workspace(ctx, consultation)
    client = platform_client(ctx, token)
    keep = Path(params.keep_decrypted_in).expanduser() if params.keep_decrypted_in else None
    try:
        # 1 — the envelopes, verified against their SHA-256.
        sizes = sum(f.size for _p, _e, f, _el in entries)
        done = 0
        ctx.report(ProgressUpdate(step=1, steps=STEPS, phase=Phase.FETCH_ENVELOPES), fraction=0.0)
        local_envelopes: list[Path] = []
        for index, (_pli, _envelope, file, position) in enumerate(entries):
            target = work / f"{index:05d}.p7m"
            local_envelopes.append(target)
            if ctx.journal.is_done(scope, _upload_url(file)) or ctx.journal.is_verified(target, file.sha256, file.size):
                done += file.size
                continue

            def on_bytes(n: int, position: tuple[Count, ...] = position) -> None:
                nonlocal done
                done += n
                ctx.report(
                    ProgressUpdate(
                        step=1,
                        steps=STEPS,
                        phase=Phase.FETCH_ENVELOPES,
                        bytes_done=done,
                        bytes_total=max(sizes, 1),
                        position=position,
                    ),
                    fraction=0.3 * done / max(sizes, 1),
                )

            try:
                client.download(
                    file.url, target, size=file.size, sha256=file.sha256, on_bytes=on_bytes, cancel=ctx.cancel
                )
            except HashMismatchError:
                client.download(
                    file.url, target, size=file.size, sha256=file.sha256, on_bytes=on_bytes, cancel=ctx.cancel
                )
            ctx.journal.mark_verified(target, file.sha256, file.size, file.url)

        # 2 — the private key (PIN asked by the store through the interaction).
        ctx.report(ProgressUpdate(step=2, steps=STEPS, phase=Phase.PRIVATE_KEY), fraction=0.3)
        credential, close_stores = credential_for_job(ctx, "decrypt", params.key)

        plain_dir = work / "clair"
        shutil.rmtree(plain_dir, ignore_errors=True)  # left by an older version or a crash
        uploaded = 0
        uploaded_bytes = 0
        kept: list[str] = []
        try:
            # The PIN or password belongs to this step ("récupération de la clé privée"): asked
            # now, not behind the first envelope once step 3 is already shown as under way.
            credential.login()
            # 3 — decrypt, deliver, forget; one envelope at a time.
            for index, (pli, envelope, file, position) in enumerate(entries):
                stage = ProgressUpdate(
                    step=3, steps=STEPS, phase=Phase.DECRYPT_ENVELOPE, item=index + 1, items=total, position=position
                )
                base = 0.3 + 0.7 * index / total
                ctx.report(stage, fraction=base)
                if ctx.journal.is_done(scope, _upload_url(file)):
                    uploaded += 1
                    continue

                def inner(update: ProgressUpdate, stage: ProgressUpdate = stage, base: float = base) -> None:
                    frac = update.fraction or 0.0
                    ctx.report(stage, fraction=base + 0.7 * frac / total * 0.9)

                with _private_buffer(work, file.size) as plain:
                    size = _decrypt_into(local_envelopes[index], credential, plain, file.size, inner, ctx)
                    client.upload(
                        _upload_url(file),
                        plain,
                        length=size,
                        what=M_("envoi de l'enveloppe {number}", number=index + 1),
                        cancel=ctx.cancel,
                    )
                    uploaded_bytes += size
                    if keep is not None:
                        kept.append(str(_keep(plain, keep, consultation, pli, envelope, file)))
                ctx.journal.mark_done(scope, _upload_url(file))
                uploaded += 1
        finally:
            close_stores()

        # 4 — done: the work folder (encrypted copies) is no longer needed.
        ctx.report(ProgressUpdate(step=4, steps=STEPS, phase=Phase.DECRYPTED), fraction=1.0, force=True)
        ctx.journal.clear_scope(scope)
        for target in local_envelopes:
            ctx.journal.forget_verified(target)
        shutil.rmtree(work, ignore_errors=True)
        return OpenResult(
            consultation=consultation.id,
            envelopes=total,
            uploaded=uploaded,
            bytes_uploaded=uploaded_bytes,
            recipient_certificate_sha256=credential.fingerprint_sha256,
            kept=tuple(kept),
        )
    finally:
        client.close()


def _private_buffer(work: Path, size: int) -> IO[bytes]:
    """Where a decrypted envelope of at most `size` bytes lives until it is sent: memory when it
    fits in SPOOL_IN_MEMORY, else an unnamed file (deleted by the OS even if the assistant is
    killed), never a file with a name. The envelope's size bounds its plaintext's, so the choice
    is made before decrypting: no in-memory copy to roll over to disk half way."""
    if size <= SPOOL_IN_MEMORY:
        return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b", dir=str(work))
    return tempfile.TemporaryFile(mode="w+b", dir=str(work))


def _decrypt_into(
    envelope: Path, credential: Credential, out: Any, size: int, progress: ProgressCallback, ctx: JobContext
) -> int:
    from assistant.envelopes.cms_stream import decrypt_stream
    from assistant.envelopes.decrypt import check_zip_integrity

    with envelope.open("rb") as source:
        decrypt_stream(source, [credential], out, total_size=size, progress=progress, cancel=ctx.cancel)
    length = out.tell()
    out.seek(0)
    if out.read(4) in (b"PK\x03\x04", b"PK\x05\x06"):
        # AES-CBC has no integrity of its own: the ZIP's CRCs catch an altered envelope.
        out.seek(0)
        check_zip_integrity(out)
    out.seek(0)
    return int(length)


def _upload_url(file: RemoteFile) -> str:
    """Where the envelope's decrypted content goes (required by the descriptor for an opening)."""
    assert file.upload_url is not None
    return file.upload_url


def _keep(plain: Any, root: Path, consultation: Consultation, pli: Pli, envelope: Envelope, file: RemoteFile) -> Path:
    name = file.name[:-4] if file.name.lower().endswith(".p7m") else file.name + ".dechiffre"
    target: Path = root / consultation.id / pli.id / envelope.id / name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        plain.seek(0)
        with tmp.open("wb") as out:
            shutil.copyfileobj(plain, out, 1 << 20)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(
            M_("Impossible de conserver « {name} » : {strerror}.", name=target.name, strerror=exc.strerror),
        ) from None
    return target
