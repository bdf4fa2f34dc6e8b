"""Trust anchors the user names: certificate files (PEM, one or many certificates, or DER).

The command line's `--trust`, the verify job's anchors from the user's settings ("Options
avancées") and the verify view's chooser all read them here, with the same clear errors. A page
never names one: the job descriptor refuses the field from anyone but the local user.

`split_anchors` decides what a named certificate means to the validator. Only a self-signed
certificate is a trust anchor (a root); any other one the user names (the intermediate CA of a
root+CA bundle, a CA alone) is handed to the validator as an intermediate, usable to build a
path up to a root. This is `openssl verify -CAfile`'s rule (without `-partial_chain`), and it is
what pyhanko-certvalidator needs: when a non-self-signed CA is itself the anchor, the CRL that
CA signed cannot be tied to any path (its issuer lookup stops at the anchor), so a signature
whose revocation data is that CRL came out untrusted with its revocation unknown. So a CA given
without its root is not trusted by itself: the user adds the root that issued it (or the
operating system's store provides it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from assistant.errors import UsageError
from assistant.i18n import M_

__all__ = ["is_self_signed", "load_certificates", "split_anchors", "system_roots"]

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


def is_self_signed(cert: x509.Certificate) -> bool:
    """Issued by itself and signed by its own key (a root; a self-issued link certificate is not)."""
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def split_anchors(
    certificates: Sequence[x509.Certificate],
) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """(roots, intermediates) of the certificates the user trusts: see the module's docstring."""
    roots: list[x509.Certificate] = []
    intermediates: list[x509.Certificate] = []
    for cert in certificates:
        (roots if is_self_signed(cert) else intermediates).append(cert)
    return roots, intermediates


def system_roots() -> list[Any]:
    """The operating system's anchors (asn1crypto certificates), given explicitly to pyHanko (its
    implicit use is deprecated).

    oscrypto's trust_list reads them (its crypto backend does not load against OpenSSL 3, its
    trust list does) and caches them; an anchor the OS distrusts for some purpose is left out.
    """
    from oscrypto import trust_list

    return [cert for cert, _trusted_for, rejected_for in trust_list.get_list() if not rejected_for]
