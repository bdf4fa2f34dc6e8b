"""Reading names out of certificates: one way for every layer (inventory, signing, reports, checks).

A certificate is shown by its subject's common name; a subject without one (some server and
organisation certificates) falls back to its organisation, then its unit, then the whole
RFC 4514 string, so a person never sees an empty name.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

__all__ = ["attribute", "common_name"]


def attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    """The first value of `oid` in `name` as text ("" when absent; bytes decoded as UTF-8)."""
    attrs = name.get_attributes_for_oid(oid)
    if not attrs:
        return ""
    value = attrs[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def common_name(name: x509.Name) -> str:
    """The name to show for a subject or issuer: CN, else O, else OU, else the RFC 4514 string."""
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME):
        value = attribute(name, oid)
        if value:
            return value
    return name.rfc4514_string()
