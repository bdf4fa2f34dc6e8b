"""Streaming decryption of CMS EnvelopedData (RFC 5652) and AuthEnvelopedData (RFC 5083).

Envelopes of bids can be several gigabytes, so nothing here holds the content in memory: a small
BER reader walks the outer structure over one fixed buffer, hands the small header elements
(recipients, algorithm) to asn1crypto, and pushes the encrypted content, segment by segment,
through cryptography's ciphers into a caller-supplied output file. Definite and indefinite
lengths (the `-stream` output of OpenSSL, OCTET STRING chunks of 4 KB) are both handled, and small
chunks are gathered into big blocks so that the cipher runs on megabytes at a time.

The private-key operation goes through `Credential.decrypt`: the store (token, NSS, file) returns
only the content-encryption key. Padding (CBC) and the tag (GCM) are checked at the end; callers
write to a temporary file and keep it only when `decrypt_stream` returns.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol, cast

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm, Cipher, algorithms, modes

from assistant.envelopes.errors import (
    CorruptEnvelopeError,
    IntegrityError,
    KeyUnwrapError,
    NoMatchingKeyError,
    NotAnEnvelopeError,
    RecipientDescription,
    TruncatedEnvelopeError,
    UnsupportedAlgorithmError,
)
from assistant.i18n import M_, Message
from assistant.keystores.base import (
    Credential,
    DecryptionFailedError,
    DecryptionMechanism,
    DecryptionScheme,
    HashAlgorithm,
)
from assistant.progress import CancelToken, ProgressCallback, ProgressUpdate, ignore_progress

#: Size of the read buffer and of one cipher call. Big blocks keep Python's per-call cost
#: negligible next to AES; three such buffers make the whole working set.
CHUNK = 4 << 20
#: The smallest buffers: an envelope smaller than CHUNK gets buffers its own size (rounded up to
#: a power of two), not 12 MiB to allocate and clear for a 30 KB file.
MIN_CHUNK = 256 << 10
#: Header elements (recipients, algorithm, attributes) are small; anything bigger is hostile.
MAX_HEADER_ELEMENT = 16 << 20
#: Segments smaller than this are gathered before decryption (OpenSSL streams 4 KB chunks).
DIRECT_FEED_MIN = 256 << 10
SMALL_SEGMENT_MAX = 0xFFFF
PROGRESS_EVERY = 8 << 20

OID_ENVELOPED = "1.2.840.113549.1.7.3"
OID_AUTH_ENVELOPED = "1.2.840.113549.1.9.16.1.23"


# --------------------------------------------------------------------------------------------
# Algorithms


@dataclass(frozen=True)
class ContentAlgorithm:
    name: str  # shown to the user: "AES-256-CBC"
    key_size: int
    mode: str  # "cbc" | "gcm"
    triple_des: bool = False


CONTENT_ALGORITHMS: dict[str, ContentAlgorithm] = {
    "2.16.840.1.101.3.4.1.2": ContentAlgorithm("AES-128-CBC", 16, "cbc"),
    "2.16.840.1.101.3.4.1.22": ContentAlgorithm("AES-192-CBC", 24, "cbc"),
    "2.16.840.1.101.3.4.1.42": ContentAlgorithm("AES-256-CBC", 32, "cbc"),
    "2.16.840.1.101.3.4.1.6": ContentAlgorithm("AES-128-GCM", 16, "gcm"),
    "2.16.840.1.101.3.4.1.26": ContentAlgorithm("AES-192-GCM", 24, "gcm"),
    "2.16.840.1.101.3.4.1.46": ContentAlgorithm("AES-256-GCM", 32, "gcm"),
    "1.2.840.113549.3.7": ContentAlgorithm("3DES-CBC (ancien)", 24, "cbc", triple_des=True),
}

_KNOWN_UNSUPPORTED = {
    "1.2.840.113549.3.2": "RC2-CBC",
    "1.3.14.3.2.7": "DES-CBC",
    "2.16.840.1.101.3.4.1.7": "AES-128-CCM",
    "2.16.840.1.101.3.4.1.27": "AES-192-CCM",
    "2.16.840.1.101.3.4.1.47": "AES-256-CCM",
    "1.2.840.113549.1.9.16.3.18": "ChaCha20-Poly1305",
}


class GcmParameters(core.Sequence):  # type: ignore[misc]
    """RFC 5084 GCMParameters (asn1crypto knows the OIDs but not this structure)."""

    _fields = [("aes_nonce", core.OctetString), ("aes_icvlen", core.Integer, {"default": 12})]


@dataclass(frozen=True)
class ContentEncryption:
    algorithm: ContentAlgorithm
    iv: bytes
    tag_length: int = 16


def parse_content_algorithm(der: bytes) -> ContentEncryption:
    try:
        ident = algos.EncryptionAlgorithm.load(der)
        oid = ident["algorithm"].dotted
    except Exception as exc:  # asn1crypto raises many types on garbage
        raise CorruptEnvelopeError(
            M_("L'algorithme de chiffrement de l'enveloppe est illisible : le fichier est altéré."),
        ) from exc
    algorithm = CONTENT_ALGORITHMS.get(oid)
    if algorithm is None:
        name = _KNOWN_UNSUPPORTED.get(oid, oid)
        raise UnsupportedAlgorithmError(
            M_(
                "Algorithme de chiffrement non pris en charge : {name}. Algorithmes acceptés : AES-128/192/256 (CBC ou GCM) et 3DES.",
                name=name,
            ),
        )
    try:
        params = ident["parameters"]
        if algorithm.mode == "gcm":
            gcm = GcmParameters.load(params.dump())
            iv = bytes(gcm["aes_nonce"].native)
            tag_length = int(gcm["aes_icvlen"].native)
        else:
            raw = params.dump()
            iv = bytes(core.OctetString.load(raw).native)
            tag_length = 0
    except Exception as exc:
        raise CorruptEnvelopeError(
            M_("Les paramètres de chiffrement de l'enveloppe sont illisibles : le fichier est altéré."),
        ) from exc
    block = 8 if algorithm.triple_des else 16
    if algorithm.mode == "cbc" and len(iv) != block:
        raise CorruptEnvelopeError(
            M_("Vecteur d'initialisation de longueur invalide : le fichier est altéré."),
        )
    if algorithm.mode == "gcm" and (not 1 <= len(iv) <= 64 or not 12 <= tag_length <= 16):
        raise CorruptEnvelopeError(M_("Paramètres AES-GCM invalides : le fichier est altéré."))
    return ContentEncryption(algorithm, iv, tag_length)


def _key_transport_mechanism(alg: cms.KeyEncryptionAlgorithm) -> tuple[DecryptionMechanism, str]:
    name = alg["algorithm"].native
    if name == "rsaes_pkcs1v15" or alg["algorithm"].dotted == "1.2.840.113549.1.1.1":
        return DecryptionMechanism(DecryptionScheme.RSA_PKCS1V15), "RSA PKCS#1 v1.5"
    if name == "rsaes_oaep":
        params = alg["parameters"]
        hashes_ok = {
            "sha1": HashAlgorithm.SHA1,
            "sha256": HashAlgorithm.SHA256,
            "sha384": HashAlgorithm.SHA384,
            "sha512": HashAlgorithm.SHA512,
        }
        hash_name = params["hash_algorithm"]["algorithm"].native
        mgf = params["mask_gen_algorithm"]
        if mgf["algorithm"].native != "mgf1":
            raise UnsupportedAlgorithmError(M_("Fonction de masquage RSA-OAEP non prise en charge."))
        mgf_hash_name = mgf["parameters"]["algorithm"].native
        label = params["p_source_algorithm"]["parameters"].native or None
        if hash_name not in hashes_ok or mgf_hash_name not in hashes_ok:
            raise UnsupportedAlgorithmError(
                M_("Empreinte RSA-OAEP non prise en charge : {hash_name}.", hash_name=hash_name)
            )
        mech = DecryptionMechanism(
            DecryptionScheme.RSA_OAEP, hashes_ok[hash_name], hashes_ok[mgf_hash_name], bytes(label) if label else None
        )
        return mech, f"RSA-OAEP {hash_name.upper().replace('SHA', 'SHA-')}"
    raise UnsupportedAlgorithmError(
        M_("Transport de clé non pris en charge : {name}. Acceptés : RSA PKCS#1 v1.5 et RSA-OAEP.", name=name),
    )


# --------------------------------------------------------------------------------------------
# Sources: DER as is, PEM and S/MIME decoded from base64 on the fly


class ReadIntoSource(Protocol):
    def readinto(self, buffer: memoryview) -> int | None: ...


class RawReader(ReadIntoSource, Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Prefixed:
    """Bytes already read (to sniff the format) followed by the rest of the stream."""

    def __init__(self, prefix: bytes, raw: RawReader) -> None:
        self._prefix = memoryview(prefix)
        self._raw = raw

    def readinto(self, buffer: memoryview) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._raw.readinto(buffer) or 0


_WS = b" \t\r\n\x0b\x0c"


class _Base64Source:
    """Base64 body of a PEM block or an S/MIME message, decoded chunk by chunk.

    The body ends at the first '-' (PEM footer or MIME boundary; '-' is not base64) or at the end
    of the file.
    """

    def __init__(self, first: bytes, raw: RawReader) -> None:
        self._raw = raw
        self._pending = bytearray()  # base64 characters not yet decoded (less than 4)
        self._out = bytearray()
        self._out_pos = 0
        self._done = False
        self._feed(first)

    def _feed(self, text: bytes) -> None:
        cut = text.find(b"-")
        if cut >= 0:
            text = text[:cut]
            self._done = True
        cleaned = text.translate(None, _WS)
        self._pending += cleaned
        usable = len(self._pending) - (len(self._pending) % 4)
        if self._done:
            usable = len(self._pending)
        if usable:
            try:
                self._out += binascii.a2b_base64(bytes(self._pending[:usable]), strict_mode=True)
            except binascii.Error as exc:
                raise CorruptEnvelopeError(
                    M_("Le texte base64 de l'enveloppe est invalide : le fichier est altéré ou tronqué."),
                ) from exc
            del self._pending[:usable]

    def readinto(self, buffer: memoryview) -> int:
        while self._out_pos >= len(self._out):
            self._out.clear()
            self._out_pos = 0
            if self._done:
                return 0
            chunk = self._raw.read(1 << 20)
            if not chunk:
                self._done = True
                self._feed(b"")
                if not self._out:
                    return 0
                break
            self._feed(chunk)
        n = min(len(buffer), len(self._out) - self._out_pos)
        buffer[:n] = memoryview(self._out)[self._out_pos : self._out_pos + n]
        self._out_pos += n
        return n


_PEM_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")


def open_source(raw: RawReader) -> tuple[ReadIntoSource, str]:
    """Sniff DER, PEM or S/MIME and return a byte source of the DER envelope, with the form's name."""
    head = raw.read(64 << 10)
    if not head:
        raise NotAnEnvelopeError(M_("Le fichier est vide."))
    if head[0] == 0x30:
        return _Prefixed(head, raw), "DER"
    stripped = head.lstrip(_WS)
    match = _PEM_BEGIN.search(stripped[:200])
    if match and stripped.startswith(b"-----BEGIN"):
        label = match.group(1).decode("ascii")
        if label not in ("CMS", "PKCS7", "PKCS #7 SIGNED DATA", "ENCRYPTED"):
            raise NotAnEnvelopeError(
                M_("Ce fichier PEM contient « {label} », pas une enveloppe chiffrée.", label=label),
            )
        body_start = stripped.index(b"\n", match.end()) + 1 if b"\n" in stripped[match.end() :] else match.end()
        return _Base64Source(stripped[body_start:], raw), "PEM"
    # S/MIME: RFC 822 headers, a blank line, then the base64 body.
    lowered = stripped[:8192].lower()
    if b"content-type:" in lowered or b"mime-version:" in lowered:
        if b"pkcs7-mime" not in lowered:
            raise NotAnEnvelopeError(
                M_("Ce message S/MIME ne contient pas d'enveloppe chiffrée (application/pkcs7-mime)."),
            )
        sep = re.search(rb"\r?\n\r?\n", stripped)
        if sep is None:
            raise TruncatedEnvelopeError(
                M_("Le message S/MIME est incomplet (en-têtes sans contenu)."),
            )
        return _Base64Source(stripped[sep.end() :], raw), "S/MIME"
    raise NotAnEnvelopeError(
        M_("Ce fichier n'est pas une enveloppe chiffrée (CMS/PKCS#7 en DER, PEM ou S/MIME)."),
    )


# --------------------------------------------------------------------------------------------
# BER reader over one fixed buffer


def _truncated() -> TruncatedEnvelopeError:
    return TruncatedEnvelopeError(
        M_("L'enveloppe est incomplète (fichier tronqué) : téléchargez-la de nouveau."),
    )


def _corrupt(what: Message) -> CorruptEnvelopeError:
    return CorruptEnvelopeError(M_("Structure de l'enveloppe invalide ({what}) : le fichier est altéré.", what=what))


@dataclass(frozen=True)
class Header:
    tag: int  # first identifier octet (class, constructed bit, low tag number)
    number: int  # tag number (for high-tag-number form)
    length: int | None  # None = indefinite
    raw: bytes

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)


class BerReader:
    def __init__(self, source: ReadIntoSource, size: int = CHUNK) -> None:
        self._source = source
        self._buf = bytearray(size)
        self._mv = memoryview(self._buf)
        self.size = size
        self._start = 0
        self._end = 0
        self._eof = False
        self.offset = 0  # absolute offset of the next unread byte

    def _fill(self, need: int) -> bool:
        """Make `need` bytes available; False if the source ends first."""
        while self._end - self._start < need:
            if self._eof:
                return False
            if self._start and len(self._buf) - self._start < max(need, 65536):
                remaining = self._end - self._start
                self._mv[:remaining] = self._mv[self._start : self._end]
                self._start, self._end = 0, remaining
            if len(self._buf) - self._end == 0:
                raise _corrupt(M_("élément trop long"))
            n = self._source.readinto(self._mv[self._end :]) or 0
            if n == 0:
                self._eof = True
            self._end += n
        return True

    def read_bytes(self, n: int) -> bytes:
        if n > len(self._buf):
            out = bytearray()
            while len(out) < n:
                out += self.take(n - len(out))
            return bytes(out)
        if not self._fill(n):
            raise _truncated()
        data = bytes(self._mv[self._start : self._start + n])
        self._start += n
        self.offset += n
        return data

    def take(self, max_n: int) -> memoryview:
        """Up to `max_n` bytes straight from the buffer (valid until the next call)."""
        if self._start == self._end and not self._fill(1):
            raise _truncated()
        n = min(max_n, self._end - self._start)
        view = self._mv[self._start : self._start + n]
        self._start += n
        self.offset += n
        return view

    def read_header(self) -> Header:
        # Fast path for the common case (low tag number, length on at most 4 bytes), which
        # runs once per 4 KB chunk of a streamed envelope.
        if self._end - self._start >= 6 or self._fill(6):
            start = self._start
            buf = self._buf
            tag = buf[start]
            lb = buf[start + 1]
            if tag & 0x1F != 0x1F and lb != 0x80 and (lb < 0x80 or lb <= 0x84):
                if lb < 0x80:
                    size, length = 2, lb
                else:
                    size = 2 + (lb & 0x7F)
                    length = int.from_bytes(buf[start + 2 : start + size], "big")
                raw = bytes(buf[start : start + size])
                self._start = start + size
                self.offset += size
                return Header(tag, tag & 0x1F, length, raw)
        return self._read_header_slow()

    def _read_header_slow(self) -> Header:
        first = self.read_bytes(1)
        tag = first[0]
        raw = bytearray(first)
        number = tag & 0x1F
        if number == 0x1F:
            number = 0
            for _ in range(5):
                b = self.read_bytes(1)[0]
                raw.append(b)
                number = (number << 7) | (b & 0x7F)
                if not b & 0x80:
                    break
            else:
                raise _corrupt(M_("étiquette trop longue"))
        lb = self.read_bytes(1)[0]
        raw.append(lb)
        length: int | None
        if lb == 0x80:
            if not tag & 0x20:
                raise _corrupt(M_("longueur indéfinie sur un type primitif"))
            length = None
        elif lb & 0x80:
            count = lb & 0x7F
            if count > 8:
                raise _corrupt(M_("longueur trop grande"))
            lbytes = self.read_bytes(count)
            raw += lbytes
            length = int.from_bytes(lbytes, "big")
        else:
            length = lb
        return Header(tag, number, length, bytes(raw))

    def copy_small_segments(self, stage: memoryview, filled: int, limit: int) -> int:
        """Copy whole small primitive OCTET STRING segments that are already buffered into `stage`.

        The hot loop of streamed envelopes (one 4 KB segment after another), kept free of calls.
        Stops, leaving the rest to the general path, at anything else: another tag, a segment
        not fully buffered, `limit` (end of the enclosing definite element), or a full stage.
        """
        buf, mv = self._buf, self._mv
        start, end = self._start, self._end
        origin = start
        base = self.offset - start  # absolute offset of buf[0]
        cap = len(stage)
        limit_in_buf = limit - base
        if limit_in_buf < end:
            end = max(start, limit_in_buf)
        while end - start >= 4 and buf[start] == 0x04:
            lb = buf[start + 1]
            if lb < 0x80:
                hl, length = 2, lb
            elif lb == 0x81:
                hl, length = 3, buf[start + 2]
            elif lb == 0x82:
                hl, length = 4, (buf[start + 2] << 8) | buf[start + 3]
            else:
                break
            stop = start + hl + length
            if stop > end or filled + length > cap:
                break
            stage[filled : filled + length] = mv[start + hl : stop]
            filled += length
            start = stop
        self.offset += start - origin
        self._start = start
        return filled

    def at_eoc(self) -> bool:
        if not self._fill(2):
            raise _truncated()
        return self._buf[self._start] == 0 and self._buf[self._start + 1] == 0

    def read_eoc(self) -> None:
        if self.read_bytes(2) != b"\x00\x00":
            raise _corrupt(M_("fin de contenu attendue"))

    def read_element(self, header: Header | None = None, budget: int = MAX_HEADER_ELEMENT) -> bytes:
        """One whole element (header + content), indefinite lengths included, for asn1crypto."""
        header = header or self.read_header()
        if header.length is not None:
            if header.length > budget:
                raise _corrupt(M_("élément d'en-tête trop grand"))
            return header.raw + self.read_bytes(header.length)
        parts = [header.raw]
        size = 0
        while not self.at_eoc():
            part = self.read_element(budget=budget - size)
            size += len(part)
            parts.append(part)
        self.read_eoc()
        parts.append(b"\x00\x00")
        return b"".join(parts)


# --------------------------------------------------------------------------------------------
# Content sinks: cipher + output file


def _cipher_algorithm(enc: ContentEncryption, key: bytes) -> BlockCipherAlgorithm:
    if enc.algorithm.triple_des:
        return TripleDES(key)
    return algorithms.AES(key)


class CbcSink:
    """CBC decryption holding back the last block until the end, where the padding is checked."""

    def __init__(self, enc: ContentEncryption, key: bytes, out: BinaryIO, max_in: int = CHUNK) -> None:
        algorithm = _cipher_algorithm(enc, key)
        self._bs = algorithm.block_size // 8
        self._dec = Cipher(algorithm, modes.CBC(enc.iv)).decryptor()
        self._out_buf = bytearray(max_in + 2 * self._bs)
        self._omv = memoryview(self._out_buf)
        self._held = 0
        self._out = out
        self.written = 0

    def feed(self, data: memoryview | bytearray) -> None:
        bs = self._bs
        n = self._dec.update_into(data, self._omv[self._held :])
        total = self._held + n
        if total > bs:
            self._out.write(self._omv[: total - bs])
            self.written += total - bs
            self._omv[:bs] = self._omv[total - bs : total]
            self._held = bs
        else:
            self._held = total

    def finish(self) -> None:
        try:
            self._dec.finalize()
        except ValueError as exc:
            raise IntegrityError(
                M_("Le contenu chiffré n'a pas une longueur valide : l'enveloppe est altérée ou tronquée."),
            ) from exc
        bs = self._bs
        last = bytes(self._omv[: self._held])
        pad = last[-1] if len(last) == bs else 0
        if not 1 <= pad <= bs or last[-pad:] != bytes([pad]) * pad:
            raise IntegrityError(
                M_("Le contrôle du bourrage a échoué : l'enveloppe est altérée, ou la clé n'est pas la bonne."),
            )
        self._out.write(last[: bs - pad])
        self.written += bs - pad


class GcmSink:
    def __init__(
        self, enc: ContentEncryption, key: bytes, out: BinaryIO, aad: bytes | None, max_in: int = CHUNK
    ) -> None:
        self._dec = Cipher(algorithms.AES(key), modes.GCM(enc.iv, min_tag_length=enc.tag_length)).decryptor()
        if aad:
            self._dec.authenticate_additional_data(aad)
        self._out_buf = bytearray(max_in + 16)
        self._omv = memoryview(self._out_buf)
        self._out = out
        self.written = 0

    def feed(self, data: memoryview | bytearray) -> None:
        n = self._dec.update_into(data, self._omv)
        if n:
            self._out.write(self._omv[:n])
            self.written += n

    def finish(self, tag: bytes) -> None:
        try:
            self._dec.finalize_with_tag(tag)
        except (InvalidTag, ValueError) as exc:
            raise IntegrityError(
                M_("La vérification d'intégrité (AES-GCM) a échoué : l'enveloppe est altérée."),
            ) from exc


# --------------------------------------------------------------------------------------------
# Recipients


@dataclass(frozen=True)
class _Recipient:
    description: RecipientDescription
    info: cms.KeyTransRecipientInfo | None
    issuer: asn1_x509.Name | None = None
    serial: int | None = None
    ski: bytes | None = None


_SHORT_NAMES = {
    "common_name": "CN",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "country_name": "C",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "serial_number": "serialNumber",
    "organization_identifier": "organizationIdentifier",
    "email_address": "E",
    "given_name": "G",
    "surname": "SN",
}


def name_text(name: asn1_x509.Name) -> str:
    """ "CN=…, O=…, C=FR", most specific first, as certificate viewers show it."""
    parts: list[str] = []
    for rdn in reversed(list(name.chosen)):
        for attr in rdn:
            key = attr["type"].native
            label = _SHORT_NAMES.get(key, attr["type"].dotted)
            value = attr["value"].native
            parts.append(f"{label}={value}")
    return ", ".join(parts)


def _describe_recipients(infos: cms.RecipientInfos) -> list[_Recipient]:
    out: list[_Recipient] = []
    for ri in infos:
        if ri.name != "ktri":
            out.append(_Recipient(RecipientDescription(kind=str(ri.name)), None))
            continue
        ktri = ri.chosen
        rid = ktri["rid"]
        if rid.name == "issuer_and_serial_number":
            issuer = rid.chosen["issuer"]
            serial = int(rid.chosen["serial_number"].native)
            desc = RecipientDescription(issuer=name_text(issuer), serial_hex=f"0x{serial:X}")
            out.append(_Recipient(desc, ktri, issuer=issuer, serial=serial))
        else:
            ski = bytes(rid.chosen.native)
            out.append(_Recipient(RecipientDescription(subject_key_id=ski.hex(":").upper()), ktri, ski=ski))
    return out


def _credential_ids(credential: Credential) -> tuple[asn1_x509.Name, int, set[bytes]]:
    cert = asn1_x509.Certificate.load(credential.certificate.public_bytes(serialization.Encoding.DER))
    tbs = cert["tbs_certificate"]
    skis: set[bytes] = set()
    if cert.key_identifier is not None:
        skis.add(bytes(cert.key_identifier))
    # RFC 5280 method 1, as OpenSSL computes it when the extension is absent
    skis.add(hashlib.sha1(tbs["subject_public_key_info"]["public_key"].contents[1:]).digest())  # noqa: S324
    return tbs["issuer"], int(tbs["serial_number"].native), skis


def _matches(recipient: _Recipient, ids: tuple[asn1_x509.Name, int, set[bytes]]) -> bool:
    issuer, serial, skis = ids
    if recipient.ski is not None:
        return recipient.ski in skis
    return recipient.serial == serial and recipient.issuer == issuer


@dataclass(frozen=True)
class UnwrappedKey:
    key: bytes
    credential: Credential
    key_transport: str


def unwrap_content_key(infos_der: bytes, credentials: Sequence[Credential], key_size: int) -> UnwrappedKey:
    """Find our recipient entry and have the store decrypt the content key."""
    try:
        infos = cms.RecipientInfos.load(infos_der)
        recipients = _describe_recipients(infos)
    except Exception as exc:
        raise _corrupt(M_("destinataires illisibles")) from exc
    if not recipients:
        raise _corrupt(M_("aucun destinataire"))
    ids = [(cred, _credential_ids(cred)) for cred in credentials]
    failures: list[Exception] = []
    for recipient in recipients:
        if recipient.info is None:
            continue
        for cred, cred_ids in ids:
            if not _matches(recipient, cred_ids):
                continue
            mechanism, transport = _key_transport_mechanism(recipient.info["key_encryption_algorithm"])
            try:
                key = cred.decrypt(bytes(recipient.info["encrypted_key"].native), mechanism)
            except DecryptionFailedError as exc:
                failures.append(exc)
                continue
            if len(key) != key_size:
                # PKCS#1 v1.5 implicit rejection returns a random message instead of failing
                failures.append(ValueError("content key length"))
                continue
            return UnwrappedKey(key, cred, transport)
    if failures:
        raise KeyUnwrapError(
            M_(
                "Votre clé correspond à un destinataire de l'enveloppe mais n'a pas pu en extraire la clé de contenu : l'enveloppe est altérée."
            ),
        ) from failures[-1]
    raise NoMatchingKeyError([r.description for r in recipients])


# --------------------------------------------------------------------------------------------
# The envelope walk


@dataclass
class StreamResult:
    form: str  # "DER", "PEM", "S/MIME"
    content_type: str  # "enveloped" | "auth_enveloped"
    algorithm: str
    key_transport: str
    credential: Credential
    size: int
    indefinite: bool


class _NeedAad(Exception):
    """Authenticated attributes were found after the content: GCM must start again with them."""

    def __init__(self, aad: bytes, key: UnwrappedKey) -> None:
        super().__init__("aad")
        self.aad = aad
        self.key = key


class _Walker:
    def __init__(self, reader: BerReader, total: int, progress: ProgressCallback, cancel: CancelToken | None) -> None:
        self.r = reader
        self.total = total
        self.progress = progress
        self.cancel = cancel
        self._last_report = 0

    def expect(self, tag: int, what: Message) -> Header:
        h = self.r.read_header()
        if h.tag != tag:
            raise _corrupt(M_("{what} attendu", what=what))
        return h

    def report(self, force: bool = False) -> None:
        pos = self.r.offset
        if force or pos - self._last_report >= PROGRESS_EVERY:
            self._last_report = pos
            if self.cancel is not None:
                self.cancel.raise_if_cancelled()
            self.progress(
                ProgressUpdate(bytes_done=min(pos, self.total) if self.total else pos, bytes_total=self.total)
            )

    def end(self, header: Header, start: int) -> None:
        """Close a constructed element: EOC for indefinite, exact length for definite."""
        if header.length is None:
            self.r.read_eoc()
        elif self.r.offset != start + header.length:
            raise _corrupt(M_("longueur incohérente"))


class _ContentPump:
    """Pushes an [0] IMPLICIT OCTET STRING (primitive or chunked) through the sink.

    A class and not nested closures: a recursive closure refers to itself through its cell, and
    that cycle kept the reader, the sink and this stage (three buffers of up to CHUNK bytes) alive
    after each envelope until the cyclic garbage collector ran, which over a folder of small
    envelopes meant ~150 MB of dead buffers in the heap. A plain object is freed on return.
    """

    def __init__(self, w: _Walker, sink: CbcSink | GcmSink, chunk: int) -> None:
        self.w = w
        self.r = w.r
        self.sink = sink
        self.chunk = chunk
        self.smv = memoryview(bytearray(chunk))
        self.filled = 0

    def run(self, header: Header) -> None:
        if header.constructed:
            self.constructed(header, 0, 1 << 62)
        else:
            assert header.length is not None
            self.primitive(header.length)
        self.flush()
        self.smv.release()

    def flush(self) -> None:
        if self.filled:
            self.sink.feed(self.smv[: self.filled])
            self.filled = 0
            self.w.report()

    def primitive(self, length: int) -> None:
        r, sink, smv, chunk = self.r, self.sink, self.smv, self.chunk
        remaining = length
        while remaining:
            filled = self.filled
            if filled == 0 and remaining >= DIRECT_FEED_MIN:
                view = r.take(min(remaining, chunk))
                remaining -= len(view)
                sink.feed(view)
                self.w.report()
                continue
            view = r.take(min(remaining, chunk - filled))
            remaining -= len(view)
            smv[filled : filled + len(view)] = view
            self.filled = filled + len(view)
            if self.filled == chunk:
                self.flush()

    def constructed(self, h: Header, depth: int, limit: int) -> None:
        if depth > 8:
            raise _corrupt(M_("imbrication trop profonde"))
        r = self.r
        start = r.offset
        if h.length is not None:
            limit = min(limit, start + h.length)
        while True:
            self.filled = r.copy_small_segments(self.smv, self.filled, limit)
            if self.filled > self.chunk - SMALL_SEGMENT_MAX - 8:
                self.flush()
                continue
            if h.length is None:
                if r.at_eoc():
                    r.read_eoc()
                    return
            elif r.offset >= start + h.length:
                if r.offset != start + h.length:
                    raise _corrupt(M_("longueur incohérente"))
                return
            seg = r.read_header()
            if seg.tag == 0x04 and seg.length is not None:
                self.primitive(seg.length)
            elif seg.tag == 0x24:
                self.constructed(seg, depth + 1, limit)
            else:
                raise _corrupt(M_("fragment de contenu attendu"))


def chunk_for(total_size: int) -> int:
    """Buffer size for an envelope of `total_size` bytes (0: unknown, the largest)."""
    if total_size <= 0 or total_size >= CHUNK:
        return CHUNK
    return max(MIN_CHUNK, 1 << (total_size - 1).bit_length())


def _walk(
    reader: BerReader,
    form: str,
    credentials: Sequence[Credential],
    out: BinaryIO,
    total: int,
    progress: ProgressCallback,
    cancel: CancelToken | None,
    aad: bytes | None,
    known_key: UnwrappedKey | None,
) -> StreamResult:
    w = _Walker(reader, total, progress, cancel)
    r = reader
    first = r.read_header()
    if first.tag != 0x30:
        raise NotAnEnvelopeError(M_("Ce fichier n'est pas une enveloppe chiffrée (CMS)."))
    ci_start = r.offset
    oid_der = r.read_element()
    try:
        oid = core.ObjectIdentifier.load(oid_der).dotted
    except Exception as exc:
        raise NotAnEnvelopeError(M_("Ce fichier n'est pas une enveloppe chiffrée (CMS).")) from exc
    if oid not in (OID_ENVELOPED, OID_AUTH_ENVELOPED):
        names = {
            "1.2.840.113549.1.7.2": M_("une signature (SignedData)"),
            "1.2.840.113549.1.7.1": M_("des données en clair"),
        }
        what = names.get(oid, M_("le type {oid}", oid=oid))
        raise NotAnEnvelopeError(M_("Ce fichier CMS n'est pas une enveloppe chiffrée : il contient {what}.", what=what))
    auth = oid == OID_AUTH_ENVELOPED
    explicit = w.expect(0xA0, M_("contenu [0]"))
    explicit_start = r.offset
    env = w.expect(0x30, M_("EnvelopedData"))
    env_start = r.offset
    version = r.read_element()
    if version[:1] != b"\x02":
        raise _corrupt(M_("version"))
    h = r.read_header()
    if h.tag == 0xA0:  # originatorInfo (certificates, CRLs): not needed to decrypt
        r.read_element(h)
        h = r.read_header()
    if h.tag != 0x31:
        raise _corrupt(M_("liste des destinataires attendue"))
    infos_der = r.read_element(h)
    eci = w.expect(0x30, M_("contenu chiffré"))
    eci_start = r.offset
    r.read_element()  # inner content type (id-data for a ZIP or any file)
    enc = parse_content_algorithm(r.read_element())
    if auth != (enc.algorithm.mode == "gcm"):
        if auth:
            message = M_("Combinaison invalide : {name} dans une enveloppe authentifiée.", name=enc.algorithm.name)
        else:
            message = M_("Combinaison invalide : {name} dans une enveloppe non authentifiée.", name=enc.algorithm.name)
        raise UnsupportedAlgorithmError(message)
    content_header = None
    if eci.length is None:
        if not r.at_eoc():
            content_header = r.read_header()
    elif r.offset < eci_start + eci.length:
        content_header = r.read_header()
    if content_header is None or content_header.number != 0 or content_header.tag & 0xC0 != 0x80:
        raise UnsupportedAlgorithmError(
            M_("L'enveloppe ne contient pas le contenu chiffré (contenu détaché non pris en charge)."),
        )
    unwrapped = known_key or unwrap_content_key(infos_der, credentials, enc.algorithm.key_size)
    sink: CbcSink | GcmSink
    chunk = r.size
    sink = GcmSink(enc, unwrapped.key, out, aad, chunk) if auth else CbcSink(enc, unwrapped.key, out, chunk)
    w.report(force=True)
    _ContentPump(w, sink, chunk).run(content_header)
    w.end(eci, eci_start)
    if auth:
        h = r.read_header()
        if h.tag == 0xA1:  # authAttrs: GCM's additional data, as a DER SET OF
            element = r.read_element(h)
            found_aad = b"\x31" + element[1:]
            if aad is None:
                raise _NeedAad(found_aad, unwrapped)
            h = r.read_header()
        elif aad is not None:
            raise _corrupt(M_("attributs authentifiés"))
        if h.tag != 0x04 or h.length is None:
            raise _corrupt(M_("code d'authentification attendu"))
        tag = r.read_bytes(h.length)
        if len(tag) != enc.tag_length:
            raise IntegrityError(
                M_("Le code d'authentification AES-GCM n'a pas la bonne longueur : l'enveloppe est altérée."),
            )
        assert isinstance(sink, GcmSink)
        sink.finish(tag)
    else:
        assert isinstance(sink, CbcSink)
        sink.finish()
    # optional trailing attributes ([1] unprotected / [2] unauthenticated), then the closings
    while (env.length is None and not r.at_eoc()) or (env.length is not None and r.offset < env_start + env.length):
        h = r.read_header()
        if h.tag not in (0xA1, 0xA2):
            raise _corrupt(M_("élément inattendu en fin d'enveloppe"))
        r.read_element(h)
    w.end(env, env_start)
    w.end(explicit, explicit_start)
    w.end(first, ci_start)
    progress(ProgressUpdate(bytes_done=total, bytes_total=total))  # base64 forms count decoded bytes until here
    return StreamResult(
        form=form,
        content_type="auth_enveloped" if auth else "enveloped",
        algorithm=enc.algorithm.name,
        key_transport=unwrapped.key_transport,
        credential=unwrapped.credential,
        size=sink.written,
        indefinite=first.length is None,
    )


def decrypt_stream(
    source: BinaryIO,
    credentials: Sequence[Credential],
    out: BinaryIO,
    *,
    total_size: int = 0,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> StreamResult:
    """Decrypt the envelope read from `source` into `out`.

    `out` must be a fresh writable file: on any exception its content is meaningless and the
    caller discards it. When GCM authenticated attributes turn up after the content (never with
    OpenSSL, allowed by RFC 5083), a seekable source is read a second time with them.
    """
    try:
        return _decrypt_stream(source, credentials, out, total_size, progress, cancel)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, UnicodeDecodeError) as exc:
        # asn1crypto parses header elements lazily and reports damage with these
        raise _corrupt(M_("élément illisible")) from exc


def _decrypt_stream(
    source: BinaryIO,
    credentials: Sequence[Credential],
    out: BinaryIO,
    total_size: int,
    progress: ProgressCallback,
    cancel: CancelToken | None,
) -> StreamResult:
    start = source.tell() if source.seekable() else 0
    src, form = open_source(cast(RawReader, source))
    try:
        return _walk(
            BerReader(src, chunk_for(total_size)), form, credentials, out, total_size, progress, cancel, None, None
        )
    except _NeedAad as need:
        if not source.seekable():
            raise UnsupportedAlgorithmError(
                M_("Cette enveloppe AES-GCM porte des attributs authentifiés : elle doit être lue depuis un fichier."),
            ) from None
        source.seek(start)
        out.seek(0)
        out.truncate()
        src, form = open_source(cast(RawReader, source))
        return _walk(
            BerReader(src, chunk_for(total_size)),
            form,
            credentials,
            out,
            total_size,
            progress,
            cancel,
            need.aad,
            need.key,
        )
