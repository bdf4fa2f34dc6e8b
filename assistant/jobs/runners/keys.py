"""Finding the credential a job uses: the one the local user named, or the one the user picks.

A page never names a key (the descriptor refuses it): for page-queued jobs the user chooses among
the credentials of every store (UserInteraction.choose_credential). The local user may name one
(`--key`: PKCS#11 URI, .p12 path, sha256:…, vault:…), resolved by keystores.selection.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography import x509

from assistant.errors import AssistantError
from assistant.jobs.engine import JobContext
from assistant.keystores.base import Credential, KeyNotFoundError, StoreSet


class NoCredentialError(AssistantError):
    code = "no_credential"


def _fits(credential: Credential, purpose: str) -> bool:
    try:
        usage = credential.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    if purpose == "decrypt":
        return bool(usage.key_encipherment) and credential.key_type == "RSA"
    return bool(usage.digital_signature or usage.content_commitment)


def _resolve_spec(spec: str, ctx: JobContext) -> Credential:
    try:
        from assistant.keystores.selection import resolve_key
    except ModuleNotFoundError as exc:
        if exc.name != "assistant.keystores.selection":
            raise
        return _fallback_resolve(spec, ctx)
    credential: Credential = resolve_key(spec, ctx.pin_callback, settings=ctx.settings, allow_module_path=ctx.job.is_local)
    return credential


def _fallback_resolve(spec: str, ctx: JobContext) -> Credential:
    """Until keystores.selection lands: PKCS#11 URIs with module-path, and .p12 files."""
    if spec.startswith("pkcs11:"):
        from assistant.keystores.pkcs11.backend import open_module_stores
        from assistant.keystores.pkcs11.modules import load_module
        from assistant.keystores.pkcs11.uri import Pkcs11Uri

        uri = Pkcs11Uri.parse(spec)
        if not uri.module_path:
            raise KeyNotFoundError("URI PKCS#11 sans module-path.", "PKCS#11 URI without module-path.")
        for store in open_module_stores(load_module(uri.module_path), ctx.pin_callback):
            if uri.token and store.label != uri.token:
                continue
            for credential in store.credentials():
                if uri.object and credential.label != uri.object:
                    continue
                if uri.id is not None and credential.key_id not in (uri.id.hex(), uri.id):
                    continue
                return credential
        raise KeyNotFoundError(f"Aucune clé ne correspond à {spec}.", f"No key matches {spec}.")
    from assistant.keystores.pkcs12 import Pkcs12Store

    p12 = Pkcs12Store(Path(spec).expanduser(), ctx.pin_callback)
    credentials = p12.credentials()
    if not credentials:
        raise KeyNotFoundError(f"Aucune clé dans {spec}.", f"No key in {spec}.")
    return credentials[0]


def credential_for_job(ctx: JobContext, purpose: str) -> tuple[Credential, Callable[[], None]]:
    """The credential to use and a function closing what was opened for it."""
    spec = ctx.params.get("key")
    if spec:
        credential = _resolve_spec(str(spec), ctx)

        def release() -> None:
            try:
                from assistant.keystores.selection import release as release_credential
            except ModuleNotFoundError:
                return
            release_credential(credential)

        return credential, release
    from assistant.keystores.inventory import open_stores

    stores: StoreSet = open_stores(ctx.pin_callback, ctx.settings)
    candidates: list[Credential] = []
    seen: set[str] = set()
    for credential in stores.credentials():
        if _fits(credential, purpose) and credential.fingerprint_sha256 not in seen:
            seen.add(credential.fingerprint_sha256)
            candidates.append(credential)
    chosen = ctx.choose_credential(candidates)
    if chosen is None:
        stores.close()
        what_fr = "de déchiffrement (bi-clé)" if purpose == "decrypt" else "de signature"
        what_en = "decryption (bi-clé)" if purpose == "decrypt" else "signing"
        raise NoCredentialError(
            f"Aucun certificat {what_fr} choisi : traitement arrêté." if candidates else f"Aucun certificat {what_fr} n'a été trouvé sur ce poste.",
            f"No {what_en} certificate chosen: job stopped." if candidates else f"No {what_en} certificate was found on this computer.",
        )
    return chosen, stores.close
