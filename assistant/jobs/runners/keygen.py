"""Bi-clé creation: the key pair in the chosen store, its public certificate sent to the platform."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization

from assistant.i18n import M_
from assistant.jobs.context import JobContext
from assistant.jobs.params import KeygenParams
from assistant.jobs.results import KeygenResult
from assistant.jobs.runners.common import platform_client
from assistant.jobs.runners.keys import credential_for_job
from assistant.progress import Phase, ProgressUpdate

if TYPE_CHECKING:
    from assistant.envelopes.bicle import BicleResult


def _created(ctx: JobContext, params: KeygenParams) -> BicleResult:
    """The bi-clé: a certificate of the user's stores they choose (second mode), or a new key pair,
    with, for a vault key, its encrypted .p12 copy whose password the user chooses (asked again
    while the rule refuses it)."""
    from assistant.envelopes.bicle import (
        DEFAULT_KEY_SIZE,
        BackupRequest,
        bicle_from_credential,
        check_vault_name_free,
        choose_new_password,
        create_bicle,
    )

    if params.from_store:
        credential, close = credential_for_job(ctx, "decrypt", None)
        try:
            return bicle_from_credential(credential)
        finally:
            close()
    backup = None
    if (params.store or "vault").strip().lower() == "vault":
        check_vault_name_free(params.name)
    if params.backup:
        path = Path(params.backup).expanduser()
        backup = BackupRequest(path, choose_new_password(ctx.pin_callback, f"Sauvegarde {path.name}"))
    return create_bicle(
        params.store or "vault",
        params.name,
        ctx.pin_callback,
        cn=params.cn,
        key_size=params.key_size or DEFAULT_KEY_SIZE,
        backup=backup,
        settings=ctx.settings,
        allow_module_path=ctx.job.is_local,
    )


def run(ctx: JobContext, params: KeygenParams) -> KeygenResult:
    ctx.report(ProgressUpdate(step=1, steps=3, phase=Phase.CREATE_BICLE), fraction=0.1)
    created = _created(ctx, params)
    uploaded = False
    if params.upload_url:
        ctx.report(ProgressUpdate(step=2, steps=3, phase=Phase.SEND_CERTIFICATE), fraction=0.7)
        client = platform_client(ctx, ctx.token)
        try:
            pem = created.certificate.public_bytes(serialization.Encoding.PEM)
            client.upload(
                params.upload_url,
                pem,
                content_type="application/x-pem-file",
                what=M_("envoi du certificat"),
                cancel=ctx.cancel,
            )
        finally:
            client.close()
        uploaded = True
    ctx.report(ProgressUpdate(step=3, steps=3, phase=Phase.BICLE_CREATED), fraction=1.0)
    cert = created.certificate
    return KeygenResult(
        subject=cert.subject.rfc4514_string(),
        serial=f"{cert.serial_number:X}",
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        key_size=cert.public_key().key_size,  # type: ignore[union-attr]
        fingerprint_sha256=created.fingerprint_sha256,
        store_kind=created.store_kind.value,
        store_label=created.store_label,
        reused=created.reused,
        key_attributes=dict(created.key_attributes),
        warnings=tuple(created.warnings_fr),
        warnings_en=tuple(created.warnings_en),
        uploaded=uploaded,
        location=created.location,
    )
