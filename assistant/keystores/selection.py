"""Turning a key designation into a Credential: `resolve_key(spec, pin_callback)`.

Accepted designations (docs/architecture.md, "The key interface"):

* an RFC 7512 URI, `pkcs11:token=…;object=…` — with `?module-path=…` honoured only from the user's
  own command line (`allow_module_path=True`): a web page or a job can only name a module the
  assistant discovered itself (p11-kit, well-known middleware paths, the settings);
* `sha256:<fingerprint>` of a certificate in any store (case, colons and spaces ignored);
* `vault:<name or fingerprint>` in the assistant's software vault;
* a path to a .p12/.pfx file — from the command line, or one the user listed in the settings.

The returned credential's store stays open (and logged in, once used) for the batch; `release()`
closes it. Stores that did not hold the key are closed before returning.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import Code
from assistant.i18n import M_
from assistant.keystores.base import (
    Credential,
    KeyNotFoundError,
    KeyStore,
    KeyStoreError,
    OperationNotPermittedError,
    PinCallback,
)
from assistant.keystores.errors import KeyStoreCode

if TYPE_CHECKING:
    from assistant.keystores.pkcs11.uri import Pkcs11Uri
    from assistant.settings import Settings

_HEX64 = re.compile(r"[0-9a-f]{64}")


def normalize_fingerprint(value: str) -> str | None:
    text = re.sub(r"[\s:]", "", value.strip().lower().removeprefix("sha256:"))
    return text if _HEX64.fullmatch(text) else None


def resolve_key(
    spec: str,
    pin_callback: PinCallback,
    *,
    settings: Settings | None = None,
    allow_module_path: bool = True,
) -> Credential:
    from assistant.settings import Settings

    settings = settings or Settings.load()
    spec = spec.strip()
    if not spec:
        raise KeyNotFoundError(M_("Aucune clé n'a été désignée."))
    lowered = spec.lower()
    if lowered.startswith("pkcs11:"):
        from assistant.keystores.pkcs11.uri import Pkcs11Uri

        return _resolve_uri(Pkcs11Uri.parse(spec), pin_callback, settings, allow_module_path)
    if lowered.startswith("sha256:"):
        return _resolve_fingerprint(spec, pin_callback, settings)
    if lowered.startswith("vault:"):
        return _resolve_vault(spec[len("vault:") :], pin_callback)
    return _resolve_file(spec, pin_callback, settings, allow_module_path)


def release(credential: Credential) -> None:
    """Close (and log out of) the store a resolved credential came from: end of the batch."""
    store = credential.key_store
    if store is not None:
        store.close()


# --------------------------------------------------------------------------------------------


def _close_all(stores: list[KeyStore], keep: KeyStore | None = None) -> None:
    for store in stores:
        if store is not keep:
            store.close()


def _refused_module(path: str) -> OperationNotPermittedError:
    return OperationNotPermittedError(
        M_(
            "Le module PKCS#11 « {path} » n'a pas été trouvé par l'assistant : une page web ou un traitement ne peut pas désigner un module. Ajoutez-le vous-même dans les réglages si vous lui faites confiance.",
            path=path,
        ),
        code=Code.MODULE_REFUSED,
    )


def _resolve_uri(uri: Pkcs11Uri, pin_callback: PinCallback, settings: Settings, allow_module_path: bool) -> Credential:
    from assistant.keystores.discovery import open_nss_stores
    from assistant.keystores.pkcs11.backend import Pkcs11Store, open_module_stores
    from assistant.keystores.pkcs11.modules import discover_modules, is_discovered, load_module

    errors: list[KeyStoreError] = []
    stores: list[KeyStore] = []
    if uri.module_path:
        if not allow_module_path and not is_discovered(uri.module_path, settings.pkcs11_modules):
            raise _refused_module(uri.module_path)
        stores.extend(open_module_stores(load_module(uri.module_path), pin_callback))
    else:
        for info in discover_modules(settings.pkcs11_modules, autodiscover=settings.pkcs11_autodiscover):
            name = os.path.basename(info.path).removesuffix(".so").removesuffix(".dll").removesuffix(".dylib")
            if uri.module_name and uri.module_name not in (info.name, name):
                continue
            try:
                stores.extend(open_module_stores(load_module(info.path), pin_callback))
            except KeyStoreError as exc:
                errors.append(exc)
        if not uri.module_name:
            stores.extend(open_nss_stores(pin_callback, settings, errors))
    matching: list[Credential] = []
    try:
        for store in stores:
            if not isinstance(store, Pkcs11Store):
                continue
            token = store.token_info
            if not uri.matches_token(
                label=token.label, manufacturer=token.manufacturer, model=token.model, serial=token.serial
            ):
                continue
            for cred in store.credentials():
                object_id = getattr(cred, "object_id", b"")
                if uri.matches_object(label=cred.label, id=object_id):
                    matching.append(cred)
    except BaseException:
        _close_all(stores)
        raise
    if len(matching) != 1:
        _close_all(stores)
        if not matching:
            if errors and not stores:
                raise errors[0]
            raise KeyNotFoundError(
                M_(
                    "Aucun certificat ne correspond à {without_module} : la carte est-elle branchée ?",
                    without_module=uri.without_module(),
                ),
            )
        names = ", ".join(sorted({c.label or c.certificate.subject.rfc4514_string() for c in matching}))
        raise KeyNotFoundError(
            M_(
                "Plusieurs certificats correspondent ({names}) : précisez « object= » ou « id= » dans l'adresse.",
                names=names,
            ),
            code=KeyStoreCode.KEY_AMBIGUOUS,
        )
    chosen = matching[0]
    _close_all(stores, keep=chosen.key_store)
    return chosen


def _resolve_fingerprint(spec: str, pin_callback: PinCallback, settings: Settings) -> Credential:
    from assistant.keystores.inventory import find_by_fingerprint

    return find_by_fingerprint(spec, pin_callback, settings)


def _resolve_vault(name: str, pin_callback: PinCallback) -> Credential:
    from assistant.keystores.discovery import open_vault_file, vault_files

    name = name.strip()
    wanted = normalize_fingerprint(name)
    files = vault_files()
    by_name = [f for f in files if f.stem == name]
    for path in by_name or files:
        store = open_vault_file(path, pin_callback)
        try:
            creds = store.credentials()
        except KeyStoreError:
            store.close()
            if by_name:
                raise
            continue
        if by_name or any(c.fingerprint_sha256 == wanted for c in creds):
            match = creds[0] if by_name else next(c for c in creds if c.fingerprint_sha256 == wanted)
            return match
        store.close()
    raise KeyNotFoundError(M_("Le coffre de l'assistant ne contient pas « {name} ».", name=name))


def _resolve_file(spec: str, pin_callback: PinCallback, settings: Settings, allow_paths: bool) -> Credential:
    from assistant.keystores.pkcs12 import Pkcs12Store

    path = Path(spec).expanduser()
    if path.suffix.lower() not in (".p12", ".pfx"):
        raise KeyNotFoundError(
            M_(
                "Désignation de clé non reconnue : « {spec} ». Attendu : une adresse pkcs11:, sha256:<empreinte>, vault:<nom> ou un fichier .p12/.pfx.",
                spec=spec,
            ),
            code=KeyStoreCode.BAD_KEY_SPEC,
        )
    if not allow_paths:
        configured = {os.path.realpath(p) for p in settings.pkcs12_files}
        if os.path.realpath(path) not in configured:
            raise OperationNotPermittedError(
                M_(
                    "Une page web ou un traitement ne peut pas désigner un fichier de votre poste. Ajoutez le fichier .p12 à vos certificats dans l'assistant."
                ),
                code=KeyStoreCode.PATH_REFUSED,
            )
    store = Pkcs12Store(path, pin_callback)
    try:
        return store.credentials()[0]
    except BaseException:
        store.close()
        raise
