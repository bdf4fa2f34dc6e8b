"""Which certificate authorities a connection to a platform trusts: decided here, once.

The downloads, online opening, descriptors and uploads (platform/), the workstation test's
platform check (diagnostics/) and `assistant platform-ca` all take their SSLContext from
`tls_context`, so they can never disagree about a platform's certificate. Standard library only:
every layer may import it.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

from assistant.i18n import M_, Message

#: How a PlatformClient checks platform certificates:
#: - True: the system's trust roots (the default);
#: - a sequence of PEM file paths: the system's roots PLUS these CAs (the user's
#:   `platform_ca_files`: an enterprise CA, a TLS-inspecting proxy, the demo's CA); empty = True;
#: - a str: this CA bundle ALONE, replacing the system's roots (requests' meaning of `verify=str`);
#: - an ssl.SSLContext: used as given;
#: - False: no verification (never used by the product; kept for low-level tests).
Verify: TypeAlias = "bool | str | Sequence[str] | ssl.SSLContext"


def tls_context(verify: Verify) -> ssl.SSLContext:
    """The SSLContext for `verify` (see `Verify`). Raises CaFileError when an extra CA file is
    missing or is not a certificate (the caller words the error for the user)."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    # create_default_context() loads the system's roots; load_verify_locations ADDS to them
    # (create_default_context(cafile=...) would have loaded that file alone).
    context = ssl.create_default_context()
    if verify is not True:
        for path in verify:
            try:
                context.load_verify_locations(cafile=str(Path(path).expanduser()))
            except (OSError, ssl.SSLError) as exc:
                raise CaFileError(str(path), exc) from None
    return context


class CaFileError(Exception):
    """An extra CA file that cannot be loaded: which one, and why (for the user, translated where shown)."""

    def __init__(self, path: str, exc: BaseException) -> None:
        reason: Message | str
        if isinstance(exc, FileNotFoundError):
            reason = M_("fichier introuvable")
        elif isinstance(exc, PermissionError):
            reason = M_("lecture refusée")
        elif isinstance(exc, ssl.SSLError) or not isinstance(exc, OSError):
            reason = M_("ce n'est pas un certificat PEM lisible")
        else:
            reason = exc.strerror or str(exc)
        super().__init__(path, reason)
        self.path = path
        self.reason = reason
