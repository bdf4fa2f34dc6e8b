"""XAdES B-LTA: xades141:ArchiveTimeStamp (ETSI EN 319 132-1 5.5.2, not distributed case).

The timestamp's message imprint is the hash of the concatenation, in this order, of (5.5.2.2):
1. each ds:Reference of ds:SignedInfo, processed as XML-DSig does (dereferenced, transformed),
   a node-set result being canonicalised with the ArchiveTimeStamp's own CanonicalizationMethod
   (for our detached signatures: the file's octets, then the SignedProperties after their
   exclusive c14n transform);
2. ds:SignedInfo, ds:SignatureValue and ds:KeyInfo (if present), each canonicalised;
3. every child of xades:UnsignedSignatureProperties before this ArchiveTimeStamp, canonicalised,
   in document order (SignatureTimeStamp, CertificateValues, RevocationValues, earlier archive
   timestamps...);
4. every ds:Object of the signature except the one holding xades:QualifyingProperties.
The canonicalisation is the one the ArchiveTimeStamp declares (C14N 1.0 when it declares none;
C14N 1.1 is computed as 1.0, as for the signature timestamp: they differ only on inherited xml:id
and xml:base, which XAdES elements do not carry).

The same generator (`imprint_chunks`) serves signing (`add_archive_timestamp`) and verification
(`archive_stamps`), over the parsed document, so a stamp made by another tool with the standard
structure is checked the same way. Reference transforms other than canonicalisation, the
enveloped-signature transform, the classic XPath filter `not(ancestor-or-self::ds:Signature)`,
XPath Filter 2.0 "subtract" and a final base64 (XSLT, any other XPath) are not replayed: such a
stamp is reported as not checkable rather than guessed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from asn1crypto import cms

from assistant.i18n import _
from assistant.signing.c14n import C14N
from assistant.signing.timestamp import tst_info

if TYPE_CHECKING:
    from assistant.signing.validation_data import ValidationData

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
XADES141 = "http://uri.etsi.org/01903/v1.4.1#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
BASE64 = "http://www.w3.org/2000/09/xmldsig#base64"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
XPATH_FILTER2 = "http://www.w3.org/2002/06/xmldsig-filter2"
#: The one XPath filter replayed: the classic form of "everything but the signatures" (XML-DSig 6.6.3).
_NOT_SIGNATURE = "not(ancestor-or-self::ds:Signature)"
EC_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"

CHUNK = 1 << 20
_ID_ATTRIBUTES = ("Id", "ID", "id")


class NotCheckable(Exception):
    """The stamp's input cannot be rebuilt (a transform we do not replay, a file out of reach)."""


def _ds(tag: str) -> str:
    return f"{{{DS}}}{tag}"


def _xa(tag: str) -> str:
    return f"{{{XADES}}}{tag}"


def canonicalise(node: Any, uri: str, prefixes: list[str] | None = None) -> bytes:
    from lxml import etree

    if uri not in C14N:
        raise NotCheckable(uri)
    exclusive, comments = C14N[uri]
    kwargs: dict[str, Any] = {"method": "c14n", "exclusive": exclusive, "with_comments": comments}
    if exclusive and prefixes:
        kwargs["inclusive_ns_prefixes"] = prefixes
    return bytes(etree.tostring(node, **kwargs))


def _prefixes(method: Any) -> list[str] | None:
    inclusive = method.find(f"{{{EC_NS}}}InclusiveNamespaces")
    if inclusive is None:
        return None
    return (inclusive.get("PrefixList") or "").split() or None


def _by_id(root: Any, wanted: str) -> Any:
    for node in root.iter():
        if isinstance(node.tag, str) and any(node.get(a) == wanted for a in _ID_ATTRIBUTES):
            return node
    return None


def _without(root: Any, signatures: list[Any]) -> Any:
    """A copy of `root` without `signatures` (the enveloped-signature transform)."""
    paths = [_index_path(root, s) for s in signatures]
    clone = copy.deepcopy(root)
    # Deepest and last first, so that the positions of those still to remove do not move.
    for path in sorted(paths, reverse=True):
        _remove(clone, path)
    return clone


def _index_path(root: Any, node: Any) -> list[int]:
    path: list[int] = []
    while node is not root:
        parent = node.getparent()
        if parent is None:
            raise NotCheckable("enveloped")
        path.insert(0, list(parent).index(node))
        node = parent
    return path


def _remove(clone: Any, path: list[int]) -> None:
    if not path:
        raise NotCheckable("enveloped")
    parent = clone
    for index in path[:-1]:
        parent = parent[index]
    target = parent[path[-1]]
    # Keep the text after the signature (its tail), as removing the node from a node-set does.
    previous = target.getprevious()
    if target.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + target.tail
        else:
            parent.text = (parent.text or "") + target.tail
    parent.remove(target)


def _reference_chunks(
    root: Any, signature: Any, reference: Any, files: dict[str, Path], c14n_uri: str
) -> Iterator[bytes]:
    uri = reference.get("URI")
    transforms = reference.findall(f"{_ds('Transforms')}/{_ds('Transform')}")
    algorithms = [t.get("Algorithm", "") for t in transforms]
    if uri is not None and uri != "" and not uri.startswith("#"):
        if transforms:
            raise NotCheckable("transform on a detached reference")
        target = files.get(uri) or files.get(unquote(uri))
        if target is None:
            raise NotCheckable("detached file")
        with open(target, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
        return
    if uri is None or uri in ("", "#xpointer(/)"):
        node = root
    elif uri.startswith("#xpointer("):
        raise NotCheckable("xpointer")
    else:
        node = _by_id(root, uri[1:])
        if node is None:
            raise NotCheckable("reference target")
    method, prefixes = c14n_uri, None
    for transform, algorithm in zip(transforms, algorithms, strict=True):
        if algorithm == ENVELOPED:
            node = _without(node, [signature]) if signature in node.iter() else node
        elif algorithm == XPATH and _is_not_signature(transform):
            node = _without(node, [s for s in node.iter(_ds("Signature"))])
        elif algorithm == XPATH_FILTER2:
            node = _without(node, _subtracted(node, transform))
        elif algorithm in C14N:
            method, prefixes = algorithm, _prefixes(transform)
        elif algorithm == BASE64 and transform is transforms[-1]:
            # Octets, not a node-set: the decoded text of the node (XML-DSig 6.6.2).
            yield base64.b64decode("".join("".join(node.itertext()).split()))
            return
        else:
            raise NotCheckable(algorithm)
    yield canonicalise(node, method, prefixes)


def _subtracted(node: Any, transform: Any) -> list[Any]:
    """The elements an XPath Filter 2.0 transform takes away (its "subtract" filters only), within `node`."""
    from lxml import etree

    out: list[Any] = []
    for xpath in transform.findall(f"{{{XPATH_FILTER2}}}XPath"):
        if xpath.get("Filter") != "subtract" or not (xpath.text or "").strip():
            raise NotCheckable("XPath Filter 2.0 other than subtract")
        namespaces = {prefix: uri for prefix, uri in (xpath.nsmap or {}).items() if prefix}
        try:
            found = node.getroottree().xpath(xpath.text.strip(), namespaces=namespaces)
        except etree.XPathError as exc:
            raise NotCheckable("XPath Filter 2.0") from exc
        if not isinstance(found, list) or not all(isinstance(n, etree._Element) for n in found):
            raise NotCheckable("XPath Filter 2.0 selecting other than elements")
        out.extend(n for n in found if n is not node and node in n.iterancestors() and n not in out)
    # A subtree inside another subtracted subtree goes with it.
    return [n for n in out if not any(a in out for a in n.iterancestors())]


def _is_not_signature(transform: Any) -> bool:
    expression = transform.find(_ds("XPath"))
    if expression is None or expression.text is None:
        return False
    prefix = next((p for p, uri in (expression.nsmap or {}).items() if uri == DS), None)
    wanted = _NOT_SIGNATURE.replace("ds:", f"{prefix}:" if prefix else "")
    return "".join(expression.text.split()) == wanted


def imprint_chunks(
    root: Any, signature: Any, stamp: Any | None, files: dict[str, Path], c14n_uri: str, skip_references: int = 0
) -> Iterator[bytes]:
    """The octets an ArchiveTimeStamp covers; `stamp` is None for a new one (then every unsigned
    signature property counts). The first `skip_references` references are left out (their octets
    already hashed by the caller)."""
    signed_info = signature.find(_ds("SignedInfo"))
    if signed_info is None:
        raise NotCheckable("SignedInfo")
    for reference in signed_info.findall(_ds("Reference"))[skip_references:]:
        yield from _reference_chunks(root, signature, reference, files, c14n_uri)
    for tag in ("SignedInfo", "SignatureValue", "KeyInfo"):
        node = signature.find(_ds(tag))
        if node is not None:
            yield canonicalise(node, c14n_uri)
    unsigned = signature.find(f"{_ds('Object')}/{_xa('QualifyingProperties')}/{_xa('UnsignedProperties')}")
    if unsigned is None:
        unsigned = next(signature.iter(_xa("UnsignedProperties")), None)
    properties = unsigned.find(_xa("UnsignedSignatureProperties")) if unsigned is not None else None
    if properties is not None:
        for child in properties:
            if child is stamp:
                break
            if isinstance(child.tag, str):
                yield canonicalise(child, c14n_uri)
    for obj in signature.findall(_ds("Object")):
        if obj.find(_xa("QualifyingProperties")) is None:
            yield canonicalise(obj, c14n_uri)


def _digest(chunks: Iterator[bytes], name: str) -> bytes:
    hasher = hashlib.new(name)
    for chunk in chunks:
        hasher.update(chunk)
    return hasher.digest()


def add_archive_timestamp(
    xml: bytes,
    files: dict[str, Path],
    timestamper: Callable[[bytes], cms.ContentInfo],
    *,
    file_state: Any = None,
    validation_for: Callable[[cms.ContentInfo], ValidationData] | None = None,
) -> bytes:
    """A B-LT XAdES made B-LTA: an xades141:ArchiveTimeStamp (exclusive c14n) closing its
    UnsignedSignatureProperties. `files` maps each detached reference's URI to its file.

    `validation_for` gives the stamp's own validation data (the TSA's chain and its CRL/OCSP
    answers): it follows the stamp in an xades141:TimeStampValidationData (EN 319 132-1 5.5.2.3),
    outside what this stamp covers and inside what a later one will, so the stamp stays
    verifiable once the TSA's revocation servers are gone.

    `file_state` is a SHA-256 object that has hashed the first reference's file (the one the
    signature's digest was computed from): the stamp then covers those very bytes, and the file is
    not read again (nor can it have changed in between).
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml, parser)
    signature = root if root.tag == _ds("Signature") else next(root.iter(_ds("Signature")))
    properties = next(signature.iter(_xa("UnsignedSignatureProperties")), None)
    if properties is None:
        raise ValueError("B-LTA needs a B-LT signature (UnsignedSignatureProperties) first")
    if file_state is not None:
        hasher = file_state.copy()
        for chunk in imprint_chunks(root, signature, None, files, EXC_C14N, skip_references=1):
            hasher.update(chunk)
        digest = hasher.digest()
    else:
        digest = _digest(imprint_chunks(root, signature, None, files, EXC_C14N), "sha256")
    token = timestamper(digest)
    stamp = etree.SubElement(
        properties, f"{{{XADES141}}}ArchiveTimeStamp", {"Id": f"ats-{uuid.uuid4().hex}"}, nsmap={"xades141": XADES141}
    )
    etree.SubElement(stamp, _ds("CanonicalizationMethod"), {"Algorithm": EXC_C14N})
    encapsulated = etree.SubElement(stamp, _xa("EncapsulatedTimeStamp"))
    encapsulated.text = base64.b64encode(token.dump()).decode("ascii")
    if validation_for is not None:
        from assistant.signing.xades import fill_validation_data

        data = validation_for(token)
        holder = etree.SubElement(
            properties,
            f"{{{XADES141}}}TimeStampValidationData",
            {"Id": f"tsvd-{uuid.uuid4().hex}", "URI": f"#{stamp.get('Id')}"},
            nsmap={"xades141": XADES141},
        )
        fill_validation_data(holder, data)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@dataclass(frozen=True)
class ArchiveStamp:
    """One ArchiveTimeStamp read from a signature: its token and the imprint recomputed with the
    token's hash algorithm (None with a `problem` when it could not be)."""

    token: cms.ContentInfo | None
    digest: bytes | None
    problem: str


def archive_stamps(root: Any, signature: Any, files: dict[str, Path]) -> list[ArchiveStamp]:
    """Every xades141:ArchiveTimeStamp (and the older xades132 one, same rule) of `signature`."""
    out: list[ArchiveStamp] = []
    for properties in signature.iter(_xa("UnsignedSignatureProperties")):
        for stamp in properties:
            if stamp.tag not in (f"{{{XADES141}}}ArchiveTimeStamp", _xa("ArchiveTimeStamp")):
                continue
            out.append(_check_one(root, signature, stamp, files))
        break
    return out


def _check_one(root: Any, signature: Any, stamp: Any, files: dict[str, Path]) -> ArchiveStamp:
    from lxml import etree

    encapsulated = stamp.find(_xa("EncapsulatedTimeStamp"))
    try:
        assert encapsulated is not None and encapsulated.text
        token = cms.ContentInfo.load(base64.b64decode("".join(encapsulated.text.split()), validate=True))
        algorithm = str(tst_info(token)["message_imprint"]["hash_algorithm"]["algorithm"].native)
        hashlib.new(algorithm)
    except Exception:
        return ArchiveStamp(None, None, _("Horodatage d'archive illisible."))
    method = stamp.find(_ds("CanonicalizationMethod"))
    uri = method.get("Algorithm", "") if method is not None else C14N_10
    try:
        digest = _digest(imprint_chunks(root, signature, stamp, files, uri), algorithm)
    except (NotCheckable, ValueError, etree.LxmlError):  # a node-set we cannot rebuild, undecodable base64
        return ArchiveStamp(
            token,
            None,
            _("Horodatage d'archive non vérifiable : la signature utilise une transformation non prise en charge."),
        )
    except OSError:
        return ArchiveStamp(token, None, _("Horodatage d'archive non vérifiable : le document signé est illisible."))
    return ArchiveStamp(token, digest, "")
