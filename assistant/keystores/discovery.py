"""Open every key store the user has, for one batch: cards and tokens, NSS databases, files, the vault.

Opening is cheap by design (the inventory lists all stores in well under 300 ms): each PKCS#11
module is loaded and initialised once per process, a store reads nothing until listed, and no store
asks for a PIN or a password to be listed. One broken store (a module that fails to load, an
unreadable database, a missing file) becomes an entry of `StoreSet.errors`; it never hides the others.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.i18n import M_
from assistant.keystores.base import KeyStore, KeyStoreError, PinCallback, StoreSet
from assistant.keystores.errors import KeyStoreCode

if TYPE_CHECKING:
    from assistant.settings import Settings

log = logging.getLogger(__name__)

VAULT_FOLDER = "vault"


def vault_files() -> list[Path]:
    """The assistant's software vault: password-protected PKCS#12 files in the data folder."""
    from assistant import paths

    folder = paths.data_dir() / VAULT_FOLDER
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in (".p12", ".pfx") and p.is_file() and not p.name.startswith(".")
    )


def open_vault_file(path: Path, pin_callback: PinCallback) -> KeyStore:
    """One vault file (its password may be remembered in the OS keyring)."""
    from assistant.keystores.vault import VaultStore

    return VaultStore(path, pin_callback)


def open_pkcs11_stores(pin_callback: PinCallback, settings: Settings, errors: list[KeyStoreError]) -> list[KeyStore]:
    from assistant.keystores.pkcs11.backend import open_module_stores
    from assistant.keystores.pkcs11.modules import discover_modules, load_module

    stores: list[KeyStore] = []
    for info in discover_modules(settings.pkcs11_modules, autodiscover=settings.pkcs11_autodiscover):
        try:
            stores.extend(open_module_stores(load_module(info.path), pin_callback))
        except KeyStoreError as exc:
            # A well-known middleware that fails to load is worth a note, not a stop.
            errors.append(exc)
        except Exception as exc:
            log.warning("PKCS#11 module %s could not be listed: %s", info.path, type(exc).__name__)
            errors.append(
                KeyStoreError(
                    M_("Le module {name} ({path}) n'a pas pu être interrogé.", name=info.name, path=info.path),
                    code=KeyStoreCode.MODULE_ERROR,
                )
            )
    return stores


def open_nss_stores(pin_callback: PinCallback, settings: Settings, errors: list[KeyStoreError]) -> list[KeyStore]:
    from assistant.keystores.pkcs11.nss import nss_databases, open_database

    stores: list[KeyStore] = []
    databases = nss_databases(settings.nss_databases)
    for db in databases:
        try:
            stores.append(open_database(db.directory, pin_callback, label=db.label))
        except KeyStoreError as exc:
            errors.append(exc)
    return stores


def open_file_stores(pin_callback: PinCallback, settings: Settings, errors: list[KeyStoreError]) -> list[KeyStore]:
    from assistant.keystores.pkcs12 import Pkcs12Store

    stores: list[KeyStore] = []
    for path in settings.pkcs12_files:
        try:
            stores.append(Pkcs12Store(path, pin_callback))
        except KeyStoreError as exc:
            errors.append(exc)
    for vault in vault_files():
        try:
            stores.append(open_vault_file(vault, pin_callback))
        except KeyStoreError as exc:
            errors.append(exc)
    return stores


def open_os_stores(pin_callback: PinCallback, settings: Settings, errors: list[KeyStoreError]) -> list[KeyStore]:
    """Windows CurrentUser\\MY or the macOS login keychain, when their backend provides `open_store`."""
    import importlib
    import sys

    package = {"win32": "assistant.keystores.windows.store", "darwin": "assistant.keystores.macos.store"}.get(
        sys.platform
    )
    if package is None:
        return []
    try:
        module = importlib.import_module(package)
    except ImportError:
        return []
    opener = getattr(module, "open_store", None)
    if opener is None:
        return []
    store = opener(pin_callback)
    return [store] if isinstance(store, KeyStore) else []


def open_all_stores(pin_callback: PinCallback, settings: Settings | None = None) -> StoreSet:
    """Every store found, in the order a key is preferred: cards, the OS store, files, the vault."""
    from assistant.settings import Settings

    settings = settings or Settings.load()
    result = StoreSet()
    for opener in (open_pkcs11_stores, open_os_stores, open_nss_stores, open_file_stores):
        try:
            result.stores.extend(opener(pin_callback, settings, result.errors))
        except KeyStoreError as exc:
            result.errors.append(exc)
    return result
