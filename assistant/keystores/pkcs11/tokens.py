"""Finding the token a `pkcs11:` URI names, among the modules the assistant may load.

Writing features (PKCS#12 import, bi-clé creation) need exactly one token: they look it up here
and each explain, in their own words, why none or several matched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.keystores.base import KeyStoreError, PinCallback, no_pin
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


@dataclass(frozen=True)
class PresentToken:
    """A token (card, USB key) found in a module, as its reader shows it: no PIN asked."""

    label: str
    manufacturer: str
    model: str
    serial: str

    @property
    def uri(self) -> str:
        """The `pkcs11:` address naming this token alone (its label and serial number)."""
        return str(Pkcs11Uri(token=self.label, serial=self.serial or None))


def present_tokens(module_paths: Iterable[str]) -> list[PresentToken]:
    """Every token of these modules, in their order (a module that cannot be opened adds none):
    what a writing feature offers to choose from when several cards are plugged in."""
    found: list[PresentToken] = []
    for path in module_paths:
        try:
            stores = open_module_stores(load_module(path), no_pin)
        except KeyStoreError:
            continue
        for store in stores:
            info = store.token_info
            found.append(PresentToken(info.label, info.manufacturer, info.model, info.serial))
            store.close()
    return found
