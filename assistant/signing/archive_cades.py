"""CAdES B-LTA: the archive-time-stamp-v3 attribute and its ats-hash-index-v3 (ETSI EN 319 122-1 5.5.2, 5.5.3).

An archive timestamp proves that the signature and everything needed to validate it (the chain's
certificates, the CRLs and OCSP answers of B-LT, the signature timestamp) existed at its time, so
the signature can still be checked once those algorithms weaken or the CA's servers are gone.

Its message imprint is the hash of the concatenation of (5.5.3): the DER of
SignedData.encapContentInfo.eContentType; the hash of the signed content (same algorithm); the
DER of the SignerInfo's version, sid, digestAlgorithm, signedAttrs ([0] tag included),
signatureAlgorithm and signature; and the DER of the ATSHashIndexV3 value. That index (an
unsigned attribute of the timestamp token's own SignerInfo, 5.5.2) lists the hash of each
CertificateChoices of SignedData.certificates, of each RevocationInfoChoice of SignedData.crls, and
of each (attrType, one value) pair of the SignerInfo's unsigned attributes, as they were when the
timestamp was requested: later additions (validation data for the archive timestamp itself, a
renewing archive timestamp) do not break it, while a removed or altered element does.

The same functions serve signing (`add_archive_timestamp`) and verification (`archive_stamps`,
`imprint`), so what we produce is what we check; they follow the standard, not our producer, so
archive timestamps made by other tools are checked the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asn1crypto import algos, cms, core

from assistant.i18n import _
from assistant.signing.timestamp import tst_info

if TYPE_CHECKING:
    from assistant.signing.validation_data import ValidationData

ARCHIVE_TIME_STAMP_V3 = "0.4.0.1733.2.4"  # id-aa-ets-archiveTimestampV3
ATS_HASH_INDEX_V3 = "0.4.0.19122.1.5"  # id-aa-ATSHashIndex-v3
#: Earlier indexes other tools still write, same structure: ETSI TS 101 733 2.2.1 and EN 319 122-1
#: 1.0.0; they hash each unsigned Attribute whole rather than each (attrType, value) pair.
ATS_HASH_INDEX_V1 = "0.4.0.1733.2.5"
ATS_HASH_INDEX_V2 = "0.4.0.19122.1.4"
DEFAULT_INDEX_HASH = "sha256"

#: Returns the digest of the signed content with the named hashlib algorithm.
ContentHasher = Callable[[str], bytes]


class _OctetStrings(core.SequenceOf):  # type: ignore[misc]  # asn1crypto is untyped
    _child_spec = core.OctetString


class ATSHashIndexV3(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
    """ATSHashIndexV3 as we write it: hashIndAlgorithm (DEFAULT sha256 in the ASN.1) always present.

    Reading goes through `parse_index`, which also takes the index without its algorithm.
    """

    _fields = [
        ("hash_ind_algorithm", algos.DigestAlgorithm, {"optional": True}),
        ("certificates_hash_index", _OctetStrings),
        ("crls_hash_index", _OctetStrings),
        ("unsigned_attrs_hash_index", _OctetStrings),
    ]


class _AnyItems(core.SequenceOf):  # type: ignore[misc]  # asn1crypto is untyped
    _child_spec = core.Any


def parse_index(der: bytes) -> tuple[str, list[bytes], list[bytes], list[bytes]]:
    """(hash name, certificate hashes, CRL hashes, unsigned attribute hashes) of an ATSHashIndex(-v2/-v3).

    Read by hand: hashIndAlgorithm (DEFAULT sha256, so often absent) and the first hash list are
    both SEQUENCEs, which a declarative optional field cannot tell apart.
    """
    items = [item.dump() for item in _AnyItems.load(der)]
    hash_name = DEFAULT_INDEX_HASH
    if len(items) == 4:
        algorithm = algos.DigestAlgorithm.load(items.pop(0))
        hash_name = str(algorithm["algorithm"].native)
        hashlib.new(hash_name)
    if len(items) != 3:
        raise ValueError("an ATSHashIndex has three hash lists")
    certs, crls, unsigned = ([bytes(h.native) for h in _OctetStrings.load(item)] for item in items)
    return hash_name, certs, crls, unsigned


class _AnyValues(core.SetOf):  # type: ignore[misc]  # asn1crypto is untyped
    _child_spec = core.Any


class _Attribute(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
    """An Attribute whose values are kept as they were encoded (asn1crypto re-encodes known ones)."""

    _fields = [("type", core.ObjectIdentifier), ("values", _AnyValues)]


def _hash(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def _items(value: Any) -> list[Any]:
    if value is None or isinstance(value, core.Void):
        return []
    return list(value)


def _attribute_value_encodings(attribute: Any) -> tuple[bytes, list[bytes]]:
    """(DER of attrType, DER of each value), from the bytes as they are in the signature."""
    raw = _Attribute.load(attribute.dump())
    return raw["type"].dump(), [value.dump() for value in raw["values"]]


def hash_index(signed_data: Any, signer_info: Any, hash_name: str = DEFAULT_INDEX_HASH) -> ATSHashIndexV3:
    """The index of what a new archive timestamp covers, as the signature stands now."""
    certificates = [_hash(hash_name, c.dump()) for c in _items(signed_data["certificates"])]
    crls = [_hash(hash_name, c.dump()) for c in _items(signed_data["crls"])]
    return ATSHashIndexV3(
        {
            "hash_ind_algorithm": {"algorithm": hash_name},
            "certificates_hash_index": certificates,
            "crls_hash_index": crls,
            "unsigned_attrs_hash_index": _unsigned_hashes(signer_info, hash_name),
        }
    )


def _unsigned_hashes(signer_info: Any, hash_name: str, version: str = ATS_HASH_INDEX_V3) -> list[bytes]:
    out: list[bytes] = []
    for attribute in _items(signer_info["unsigned_attrs"]):
        if version != ATS_HASH_INDEX_V3:
            out.append(_hash(hash_name, attribute.dump()))
            continue
        attr_type, values = _attribute_value_encodings(attribute)
        out.extend(_hash(hash_name, attr_type + value) for value in values)
    return out


def imprint(signed_data: Any, signer_info: Any, index_der: bytes, hash_name: str, content_hash: bytes) -> bytes:
    """The archive-time-stamp-v3 message imprint (EN 319 122-1 5.5.3) with `hash_name`."""
    hasher = hashlib.new(hash_name)
    hasher.update(signed_data["encap_content_info"]["content_type"].dump())
    hasher.update(content_hash)
    for name in ("version", "sid", "digest_algorithm", "signed_attrs", "signature_algorithm", "signature"):
        hasher.update(signer_info[name].dump())
    hasher.update(index_der)
    return hasher.digest()


def add_archive_timestamp(
    der: bytes,
    content_hasher: ContentHasher,
    timestamper: Callable[[bytes], cms.ContentInfo],
    *,
    validation_for: Callable[[cms.ContentInfo], ValidationData] | None = None,
) -> bytes:
    """A B-LT CAdES (DER ContentInfo, one signer) made B-LTA: an archive-time-stamp-v3 over it.

    `timestamper` returns an RFC 3161 token over a SHA-256 digest; the ats-hash-index-v3 is then
    added to the token's unsigned attributes (outside what the TSA signed, as 5.5.2 intends).
    `validation_for` gives the stamp's own validation data (the TSA's chain, its CRL/OCSP
    answers): it goes into the token's SignedData.certificates and .crls, which the TSA's
    signature does not cover, as B-LT does for the signature (OCSP as an "other" revocation
    choice); the stamp then stays verifiable once the TSA's revocation servers are gone.
    """
    info = cms.ContentInfo.load(der)
    signed_data = info["content"]
    signer_info = signed_data["signer_infos"][0]
    index = hash_index(signed_data, signer_info, DEFAULT_INDEX_HASH)
    index_der = index.dump()
    digest = imprint(signed_data, signer_info, index_der, "sha256", content_hasher("sha256"))
    token = timestamper(digest)
    token = _with_unsigned_attribute(token, ATS_HASH_INDEX_V3, index_der)
    if validation_for is not None:
        from assistant.signing.cades import add_validation_data

        token = cms.ContentInfo.load(add_validation_data(token.dump(), validation_for(token)))
    stamp = cms.CMSAttribute.load(
        _Attribute({"type": ARCHIVE_TIME_STAMP_V3, "values": [core.Any.load(token.dump())]}).dump()
    )
    unsigned = [*_items(signer_info["unsigned_attrs"]), stamp]
    new_signer = _signer_info_with(signer_info, cms.CMSAttributes(unsigned))
    fields = {name: signed_data[name] for name in ("version", "digest_algorithms", "encap_content_info")}
    for name in ("certificates", "crls"):
        if not isinstance(signed_data[name], core.Void):
            fields[name] = signed_data[name]
    fields["signer_infos"] = cms.SignerInfos([new_signer, *list(signed_data["signer_infos"])[1:]])
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(fields)}).dump())


def _signer_info_with(signer_info: Any, unsigned: cms.CMSAttributes) -> cms.SignerInfo:
    fields: dict[str, Any] = {}
    for name in ("version", "sid", "digest_algorithm", "signed_attrs", "signature_algorithm", "signature"):
        if not isinstance(signer_info[name], core.Void):
            fields[name] = signer_info[name]
    fields["unsigned_attrs"] = unsigned
    return cms.SignerInfo(fields)


def _with_unsigned_attribute(token: cms.ContentInfo, oid: str, value_der: bytes) -> cms.ContentInfo:
    signed_data = token["content"]
    tsa_signer = signed_data["signer_infos"][0]
    attribute = cms.CMSAttribute.load(_Attribute({"type": oid, "values": [core.Any.load(value_der)]}).dump())
    new_signer = _signer_info_with(tsa_signer, cms.CMSAttributes([*_items(tsa_signer["unsigned_attrs"]), attribute]))
    fields = {name: signed_data[name] for name in ("version", "digest_algorithms", "encap_content_info")}
    for name in ("certificates", "crls"):
        if not isinstance(signed_data[name], core.Void):
            fields[name] = signed_data[name]
    fields["signer_infos"] = cms.SignerInfos([new_signer])
    return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(fields)})


# --------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class ArchiveStamp:
    """One archive-time-stamp-v3 of a SignerInfo, read and checked against the signature.

    `digest` is the imprint recomputed with the token's own hash algorithm (None when it could
    not be); `problem` names, in French, why the stamp does not cover this signature (missing
    index, an element of the index no longer present), '' when its structure holds.
    """

    token: cms.ContentInfo | None
    algorithm: str
    digest: bytes | None
    problem: str


def archive_stamps(signed_data: Any, signer_info: Any, content_hasher: ContentHasher) -> list[ArchiveStamp]:
    """Every archive-time-stamp-v3 of `signer_info`, in order, with its recomputed imprint."""
    out: list[ArchiveStamp] = []
    for attribute in _items(signer_info["unsigned_attrs"]):
        if attribute["type"].dotted != ARCHIVE_TIME_STAMP_V3:
            continue
        _type, values = _attribute_value_encodings(attribute)
        for value in values or [b""]:
            out.append(_check_one(value, signed_data, signer_info, content_hasher))
    return out


def _check_one(value: bytes, signed_data: Any, signer_info: Any, content_hasher: ContentHasher) -> ArchiveStamp:
    try:
        token = cms.ContentInfo.load(value)
        algorithm = str(tst_info(token)["message_imprint"]["hash_algorithm"]["algorithm"].native)
        hashlib.new(algorithm)
    except Exception:
        return ArchiveStamp(None, "", None, _("Horodatage d'archive illisible."))
    index_attr, version = None, ATS_HASH_INDEX_V3
    for version in (ATS_HASH_INDEX_V3, ATS_HASH_INDEX_V2, ATS_HASH_INDEX_V1):
        index_attr = _find_unsigned(token["content"]["signer_infos"][0], version)
        if index_attr is not None:
            break
    if index_attr is None:
        return ArchiveStamp(token, algorithm, None, _("Horodatage d'archive sans index (ats-hash-index-v3)."))
    try:
        index_hash, cert_hashes, crl_hashes, unsigned_hashes = parse_index(index_attr)
        listed = {"certificates": cert_hashes, "crls": crl_hashes, "unsigned": unsigned_hashes}
        present = {
            "certificates": {_hash(index_hash, c.dump()) for c in _items(signed_data["certificates"])},
            "crls": {_hash(index_hash, c.dump()) for c in _items(signed_data["crls"])},
            "unsigned": set(_unsigned_hashes(signer_info, index_hash, version)),
        }
    except Exception:
        return ArchiveStamp(token, algorithm, None, _("Index de l'horodatage d'archive (ats-hash-index-v3) illisible."))
    missing = [what for what, hashes in listed.items() if any(h not in present[what] for h in hashes)]
    if missing:
        words = {
            "certificates": _("certificats"),
            "crls": _("données de révocation"),
            "unsigned": _("attributs non signés"),
        }
        return ArchiveStamp(
            token,
            algorithm,
            None,
            _(
                "L'horodatage d'archive ne correspond plus à la signature : des éléments qu'il couvrait "
                "({elements}) ont été retirés ou modifiés."
            ).format(elements=", ".join(words[m] for m in missing)),
        )
    digest = imprint(signed_data, signer_info, index_attr, algorithm, content_hasher(algorithm))
    return ArchiveStamp(token, algorithm, digest, "")


def _find_unsigned(signer_info: Any, oid: str) -> bytes | None:
    """The DER of the first value of the unsigned attribute `oid`, as encoded in the token."""
    for attribute in _items(signer_info["unsigned_attrs"]):
        if attribute["type"].dotted == oid:
            _type, values = _attribute_value_encodings(attribute)
            return values[0] if values else None
    return None
