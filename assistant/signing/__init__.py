"""Signing engine: PAdES, CAdES and XAdES over files, through the `Credential` interface only.

`sign_files` is the entry point for the UI, the jobs engine and `assistant sign` (see docs/architecture.md, "Signing, envelopes, platform").
"""

from __future__ import annotations

from assistant.signing.batch import BatchResult, FileResult, sign_files
from assistant.signing.formats import LEVELS, SignFormat

__all__ = ["LEVELS", "BatchResult", "FileResult", "SignFormat", "sign_files"]
