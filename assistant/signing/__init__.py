"""Signing engine: PAdES, CAdES and XAdES over files, through the `Credential` interface only.

`sign_files` is the entry point for the UI, the jobs engine and `assistant sign` (see docs/architecture.md, "Signing, envelopes, platform").

The names are loaded on first use: importing a module of this package (verification, trusted
lists) must not load the signing engine and pyHanko's PDF signer with it (a third of a second
at the start of `assistant verify`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.signing.batch import BatchResult, FileResult, sign_files
    from assistant.signing.formats import LEVELS, SignFormat

__all__ = ["LEVELS", "BatchResult", "FileResult", "SignFormat", "sign_files"]

_WHERE = {
    "BatchResult": "batch",
    "FileResult": "batch",
    "sign_files": "batch",
    "LEVELS": "formats",
    "SignFormat": "formats",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
