"""Finding the token a `pkcs11:` URI names, among the modules the assistant may load.

Writing features (PKCS#12 import, bi-clé creation) need exactly one token: they look it up here
and each explain, in their own words, why none or several matched.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.keystores.base import KeyStoreError, PinCallback
from assistant.keystores.pkcs11.backend import Pkcs11Store, open_module_stores
from assistant.keystores.pkcs11.modules import load_module
from assistant.keystores.pkcs11.uri import Pkcs11Uri


def matching_token_stores(
    uri: Pkcs11Uri, module_paths: Iterable[str], pin_callback: PinCallback
) -> tuple[list[Pkcs11Store], KeyStoreError | None]:
    """The open stores of every token `uri` matches (the others are closed at once), and the first
    error of a module that could not be opened, to explain an empty result. No PIN is asked."""
    found: list[Pkcs11Store] = []
    first_error: KeyStoreError | None = None
    for path in module_paths:
        try:
            stores = open_module_stores(load_module(path), pin_callback)
        except KeyStoreError as exc:
            first_error = first_error or exc
            continue
        for store in stores:
            info = store.token_info
            if uri.matches_token(
                label=info.label, manufacturer=info.manufacturer, model=info.model, serial=info.serial
            ):
                found.append(store)
            else:
                store.close()
    return found, first_error
