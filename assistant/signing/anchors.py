"""Trust anchors the user names: certificate files (PEM, one or many certificates, or DER).

The command line's `--trust`, the verify job's anchors from the user's settings ("Options
avancées") and the verify view's chooser all read them here, with the same clear errors. A page
never names one: the job descriptor refuses the field from anyone but the local user.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cryptography import x509

from assistant.errors import UsageError
from assistant.i18n import M_

__all__ = ["load_certificates"]

MAX_ANCHOR_FILE = 4 << 20  # a bundle of a few hundred certificates at most


def load_certificates(paths: Iterable[Path | str]) -> list[x509.Certificate]:
    """Every certificate of `paths`, in order; a file that cannot be read or holds none is an error."""
    certificates: list[x509.Certificate] = []
    for item in paths:
        path = Path(item).expanduser()
        try:
            if path.stat().st_size > MAX_ANCHOR_FILE:
                raise UsageError(M_("{path} n'est pas un certificat.", path=path))
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(M_("Lecture impossible : {path}", path=path)) from exc
        try:
            certificates.extend(
                x509.load_pem_x509_certificates(data)
                if b"-----BEGIN" in data
                else [x509.load_der_x509_certificate(data)]
            )
        except ValueError as exc:
            raise UsageError(M_("{path} n'est pas un certificat.", path=path)) from exc
    return certificates
