"""The issuer certificates embedded with a signature.

A verifier that finds the intermediate CA inside the signature can build the path to its trust
anchor on its own; one that does not may call a perfectly good signature "untrusted". A .p12
carries its chain; a smart card or the NSS database keeps the CA certificates as separate objects
in the same store, so we look there for the issuers when the credential came without its chain.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography import x509

from assistant.keystores.base import Credential, KeyStoreError

_MAX_DEPTH = 8


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, Exception):
        return False
    return True


def build_chain(leaf: x509.Certificate, pool: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    """Issuers of `leaf` found in `pool`, nearest first, up to a self-signed root."""
    candidates = list(pool)
    chain: list[x509.Certificate] = []
    current = leaf
    for _ in range(_MAX_DEPTH):
        if current.issuer == current.subject:
            break
        issuer = next((c for c in candidates if c not in chain and c != current and _issued_by(current, c)), None)
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    return chain


def signing_chain(credential: Credential) -> list[x509.Certificate]:
    """The credential's chain, or the issuers found among its store's other certificates."""
    if credential.chain:
        return list(credential.chain)
    store = credential.key_store
    if store is None:
        return []
    try:
        pool = store.certificates()
    except KeyStoreError:
        return []
    return build_chain(credential.certificate, pool)
