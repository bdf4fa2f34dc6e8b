"""The certificate inventory: every certificate with a private key, from every store, once.

What `assistant certs` prints and what the UI lists. A certificate reached through two stores (the
same card seen by its PKCS#11 module and by NSS, a .p12 also imported in the OS store) is one entry
listing both stores: the user has one certificate, not two. Each entry carries the conformity
verdict (see `conformity`), so the choice of a signing certificate is explained, not guessed.

Listing never asks for a PIN (certificates are public) and never stops at the first broken store: a
missing module, an absent token or an unreadable file becomes a warning beside the list.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from assistant.i18n import M_, N_, fr_en
from assistant.keystores import conformity
from assistant.keystores.base import (
    Credential,
    KeyNotFoundError,
    KeyStore,
    KeyStoreError,
    PinCallback,
    PinCancelledError,
    PinRequest,
    StoreKind,
    StoreRef,
    StoreSet,
    no_pin,
)
from assistant.keystores.errors import KeyStoreCode
from assistant.keystores.names import common_name

if TYPE_CHECKING:
    from assistant.settings import Settings

log = logging.getLogger(__name__)

#: When the same certificate is in several stores, the key is used from the first kind here:
#: a key on a card never leaves it, while a file copy is the weaker place.
STORE_PREFERENCE: tuple[StoreKind, ...] = (
    StoreKind.PKCS11,
    StoreKind.WINDOWS,
    StoreKind.MACOS,
    StoreKind.NSS,
    StoreKind.VAULT,
    StoreKind.PKCS12,
)

STORE_KIND_NAMES: dict[StoreKind, str] = {
    StoreKind.PKCS11: N_("carte ou clé USB"),
    StoreKind.NSS: N_("magasin NSS"),
    StoreKind.PKCS12: N_("fichier PKCS#12"),
    StoreKind.VAULT: N_("coffre de l'assistant"),
    StoreKind.WINDOWS: N_("magasin Windows"),
    StoreKind.MACOS: N_("trousseau macOS"),
}


# --------------------------------------------------------------------------------------------
# Entries


def _organization(name: x509.Name) -> str:
    attrs = name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    if not attrs:
        return ""
    value = attrs[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def format_fingerprint(hex_fp: str) -> str:
    """AB:CD:... as certificate viewers show it."""
    up = hex_fp.upper()
    return ":".join(up[i : i + 2] for i in range(0, len(up), 2))


_HEX64 = re.compile(r"[0-9a-f]{64}")


def normalize_fingerprint(fp: str) -> str:
    """Accept `sha256:AB:CD...`, `ab cd ...`, any case; return 64 lowercase hex digits."""
    value = fp.strip().lower()
    if value.startswith("sha256:"):
        value = value[len("sha256:") :]
    value = re.sub(r"[\s:]", "", value)
    if not _HEX64.fullmatch(value):
        raise KeyNotFoundError(
            M_("Empreinte SHA-256 invalide : 64 chiffres hexadécimaux attendus (les « : » sont permis)."),
            code=KeyStoreCode.BAD_FINGERPRINT,
        )
    return value


@dataclass
class InventoryEntry:
    """One certificate, the stores it was found in, and its verdict."""

    certificate: x509.Certificate
    fingerprint_sha256: str
    verdict: conformity.Verdict
    stores: list[StoreRef] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # object labels / nicknames in the stores

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def issuer(self) -> str:
        return self.certificate.issuer.rfc4514_string()

    @property
    def subject_name(self) -> str:
        return common_name(self.certificate.subject)

    @property
    def issuer_name(self) -> str:
        return common_name(self.certificate.issuer)

    @property
    def organization(self) -> str:
        return _organization(self.certificate.subject)

    @property
    def not_before(self) -> dt.datetime:
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc

    @property
    def key_type(self) -> str:
        return conformity.key_description(self.certificate)[0]

    @property
    def key_size(self) -> int:
        return conformity.key_description(self.certificate)[1]

    @property
    def serial_number(self) -> str:
        return format(self.certificate.serial_number, "x")

    def to_dict(self, *, include_locations: bool = True) -> dict[str, Any]:
        """JSON form. `include_locations=False` drops store URIs (file paths, module paths): for pages."""
        stores = [
            {"kind": s.kind.value, "label": s.label, **({"uri": s.uri} if include_locations else {})}
            for s in self.stores
        ]
        return {
            "subject": self.subject,
            "subject_name": self.subject_name,
            "organization": self.organization,
            "issuer": self.issuer,
            "issuer_name": self.issuer_name,
            "serial_number": self.serial_number,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "key_type": self.key_type,
            "key_size": self.key_size,
            "sha256": self.fingerprint_sha256,
            "fingerprint_sha256": self.fingerprint_sha256,
            "stores": stores,
            "store": self.stores[0].label if self.stores else "",
            "verdict": self.verdict.to_dict(),
        }


@dataclass(frozen=True)
class StoreWarning:
    """A store that could not be listed, said in French first."""

    store: str  # the store's label, or "" when the error came before a store was opened
    code: str
    message_fr: str
    message_en: str

    @classmethod
    def from_error(cls, error: KeyStoreError, store: KeyStore | None = None) -> StoreWarning:
        label = _store_label(store) if store is not None else ""
        if isinstance(error, PinCancelledError) and store is not None and store.kind is StoreKind.PKCS12:
            return cls(
                label,
                "password_needed",
                *fr_en(
                    M_(
                        "Le fichier {label} protège aussi son certificat par un mot de passe : il sera affiché quand "
                        "vous l'ouvrirez pour signer ou déchiffrer.",
                        label=label,
                    )
                ),
            )
        return cls(label, error.code, error.message_fr, error.message_en)

    def to_dict(self) -> dict[str, str]:
        return {"store": self.store, "code": self.code, "message": self.message_fr, "message_en": self.message_en}


def _store_label(store: KeyStore) -> str:
    ref = getattr(store, "ref", None)
    if isinstance(ref, StoreRef):
        return ref.label
    label = getattr(store, "label", None)
    return label if isinstance(label, str) else type(store).__name__


_CATEGORY_ORDER = {c: i for i, c in enumerate(conformity.Category)}


@dataclass
class Inventory:
    entries: list[InventoryEntry] = field(default_factory=list)
    warnings: list[StoreWarning] = field(default_factory=list)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, fingerprint: str) -> InventoryEntry | None:
        fp = normalize_fingerprint(fingerprint)
        return next((e for e in self.entries if e.fingerprint_sha256 == fp), None)

    def signing_candidates(self) -> list[InventoryEntry]:
        """Certificates that can sign today, the procurement-ready ones first."""
        return [e for e in self.entries if e.verdict.usable_for_signature]


def _same_store(a: StoreRef, b: StoreRef) -> bool:
    """One token reached through two spellings of its module path is still one store."""
    if a.kind != b.kind:
        return False
    if a.kind is StoreKind.PKCS11:
        return a.uri.split("?", 1)[0] == b.uri.split("?", 1)[0]
    return a.uri == b.uri


def build_inventory(
    found: Iterable[tuple[Credential, StoreRef]],
    warnings: Sequence[StoreWarning] = (),
    *,
    now: dt.datetime | None = None,
) -> Inventory:
    """Deduplicate by SHA-256 and judge each certificate once. Pure: no store is touched."""
    now = now or dt.datetime.now(dt.UTC)
    by_fp: dict[str, InventoryEntry] = {}
    for credential, ref in found:
        cert = credential.certificate
        fp = cert.fingerprint(hashes.SHA256()).hex()
        entry = by_fp.get(fp)
        if entry is None:
            entry = InventoryEntry(cert, fp, conformity.assess(cert, now))
            by_fp[fp] = entry
        if not any(_same_store(s, ref) for s in entry.stores):
            entry.stores.append(ref)
        if credential.label and credential.label not in entry.labels:
            entry.labels.append(credential.label)
    for entry in by_fp.values():
        entry.stores.sort(key=lambda s: STORE_PREFERENCE.index(s.kind) if s.kind in STORE_PREFERENCE else 99)
    entries = sorted(
        by_fp.values(),
        key=lambda e: (_CATEGORY_ORDER[e.verdict.category], e.subject_name.casefold(), -e.not_after.timestamp()),
    )
    return Inventory(entries, list(warnings))


# --------------------------------------------------------------------------------------------
# PKCS#12 files: showing the certificate without the password
#
# `cryptography` checks the file's MAC, keyed by the password, before handing out anything, so a
# .p12 cannot be listed without its password even when its certificates are stored in clear. Two
# remedies, both about public data only: read clear certificate bags directly (no MAC needed to
# *show* a certificate; the key is still opened, MAC verified, with the password), and remember the
# certificate of a file once it has been opened with its password, keyed by the file's SHA-256, so
# the next listing shows it without asking. No password or key material is ever written.

P12_CACHE_FILE = "pkcs12-certificates.json"


def p12_clear_certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates stored unencrypted in a PKCS#12 blob, the one bound to the key first."""
    from asn1crypto import pkcs12 as asn1_pkcs12

    try:
        pfx = asn1_pkcs12.Pfx.load(data)
        with_key: list[x509.Certificate] = []
        others: list[x509.Certificate] = []
        for content_info in pfx.authenticated_safe:
            if content_info["content_type"].native != "data":
                continue  # encrypted bag: needs the password
            for bag in asn1_pkcs12.SafeContents.load(content_info["content"].native):
                if bag["bag_id"].native != "cert_bag" or bag["bag_value"]["cert_id"].native != "x509":
                    continue
                cert = x509.load_der_x509_certificate(bag["bag_value"]["cert_value"].parsed.dump())
                has_key_id = any(a["type"].native == "local_key_id" for a in bag["bag_attributes"])
                (with_key if has_key_id else others).append(cert)
        return with_key + others
    except Exception:  # anything unreadable here simply means "not listable without the password"
        return []


def _p12_cache_path() -> Path:
    from assistant import paths

    return paths.cache_dir() / P12_CACHE_FILE


def _file_digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _load_p12_cache() -> dict[str, Any]:
    import json

    try:
        raw = json.loads(_p12_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def remember_p12_certificate(data: bytes, cert: x509.Certificate) -> None:
    """Remember (public) which certificate a .p12 holds, keyed by the file's SHA-256."""
    import base64
    import json
    import os
    import tempfile

    from cryptography.hazmat.primitives.serialization import Encoding

    cache = _load_p12_cache()
    digest = _file_digest(data)
    der = base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")
    if cache.get(digest) == der:
        return
    cache[digest] = der
    path = _p12_cache_path()
    try:
        fd, tmp = tempfile.mkstemp(prefix=".p12cache-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(cache, fh)
        os.replace(tmp, path)
    except OSError:
        log.info("could not write the PKCS#12 certificate cache")


def cached_p12_certificate(data: bytes) -> x509.Certificate | None:
    import base64

    der = _load_p12_cache().get(_file_digest(data))
    if not isinstance(der, str):
        return None
    try:
        return x509.load_der_x509_certificate(base64.b64decode(der))
    except ValueError:
        return None


def _p12_public_credentials(store: KeyStore) -> list[Credential] | None:
    """Credentials of a password-protected .p12 built from public data only, or None."""
    from assistant.keystores.pkcs12 import Pkcs12Credential, Pkcs12Store

    if not isinstance(store, Pkcs12Store):
        return None
    data: bytes = store._data
    clear = p12_clear_certificates(data)
    cert = clear[0] if clear else cached_p12_certificate(data)
    if cert is None:
        return None
    return [Pkcs12Credential(store, cert, clear[1:])]


def _remember_opened_p12(store: KeyStore, credentials: Sequence[Credential]) -> None:
    from assistant.keystores.pkcs12 import Pkcs12Store

    if isinstance(store, Pkcs12Store) and credentials and not p12_clear_certificates(store._data):
        remember_p12_certificate(store._data, credentials[0].certificate)


# --------------------------------------------------------------------------------------------
# Reaching the stores


def open_stores(pin_callback: PinCallback, settings: Settings | None) -> StoreSet:
    """Every store the user has (discovery.open_all_stores), never raising for one broken store."""
    from assistant.keystores.discovery import open_all_stores

    try:
        stores: StoreSet = open_all_stores(pin_callback, settings)
    except KeyStoreError as exc:
        return StoreSet(errors=[exc])
    except Exception as exc:  # discovery itself failed: say so, do not crash the listing
        log.exception("store discovery failed")
        return StoreSet(
            errors=[
                KeyStoreError(
                    M_("La recherche des magasins de certificats a échoué ({name}).", name=type(exc).__name__),
                    code=KeyStoreCode.DISCOVERY_ERROR,
                )
            ]
        )
    return stores


@dataclass
class _Pass:
    """What one pass over some stores found."""

    found: list[tuple[Credential, StoreRef]] = field(default_factory=list)
    warnings: list[tuple[KeyStore | None, StoreWarning]] = field(default_factory=list)
    failed: list[tuple[KeyStore, Exception]] = field(default_factory=list)

    def needing_secret(self) -> list[KeyStore]:
        """Files that could not be listed without their password."""
        return [s for s, e in self.failed if isinstance(e, PinCancelledError) and s.kind in _SECRET_KINDS]

    def merge_retry(self, retried: list[KeyStore], other: _Pass) -> None:
        self.found.extend(other.found)
        self.warnings = [(s, w) for s, w in self.warnings if s not in retried] + other.warnings
        self.failed = [(s, e) for s, e in self.failed if s not in retried] + other.failed


_SECRET_KINDS = (StoreKind.PKCS12, StoreKind.VAULT)


def _collect(stores: Iterable[KeyStore], errors: Iterable[KeyStoreError] = ()) -> _Pass:
    result = _Pass(warnings=[(None, StoreWarning.from_error(e)) for e in errors])
    for store in stores:
        try:
            creds = store.credentials()
            if store.kind is StoreKind.PKCS12:
                _remember_opened_p12(store, creds)
        except KeyStoreError as exc:
            public = _p12_public_credentials(store) if isinstance(exc, PinCancelledError) else None
            if public is not None:
                result.found.extend((c, c.store) for c in public)
                continue
            result.warnings.append((store, StoreWarning.from_error(exc, store)))
            result.failed.append((store, exc))
            continue
        except Exception as exc:  # a backend bug must not hide the other stores
            log.exception("listing %s failed", type(store).__name__)
            label = _store_label(store)
            result.warnings.append(
                (
                    store,
                    StoreWarning(
                        label,
                        "store_error",
                        *fr_en(
                            M_("Le magasin {label} n'a pas pu être lu ({name}).", label=label, name=type(exc).__name__)
                        ),
                    ),
                )
            )
            result.failed.append((store, exc))
            continue
        result.found.extend((c, c.store) for c in creds)
    return result


def list_certificates(
    pin_callback: PinCallback = no_pin,
    settings: Settings | None = None,
    *,
    now: dt.datetime | None = None,
) -> Inventory:
    """Every certificate with a private key, deduplicated by SHA-256, each with its verdict.

    Stores are first listed without any secret. Only then, and only when the caller gave a real
    callback (the UI, an interactive terminal), are the .p12 files whose certificate is itself
    encrypted opened, one password prompt each; their certificate is remembered for next time.
    """
    gate = _Gate(pin_callback)
    store_set = open_stores(gate, settings)
    try:
        result = _collect(store_set.stores, store_set.errors)
        retry = result.needing_secret()
        if retry and pin_callback is not no_pin:
            gate.open = True
            result.merge_retry(retry, _collect(retry))
        return build_inventory(result.found, [w for _, w in result.warnings], now=now)
    finally:
        store_set.close()


class _Gate:
    """A PIN callback that refuses while the stores are only being listed, then asks for real.

    Looking a certificate up by fingerprint must not ask for the password of every .p12 file on the
    way: first the stores that list without a secret are searched, and only when the certificate is
    not among them are the password-protected ones opened, one prompt each.
    """

    def __init__(self, callback: PinCallback) -> None:
        self.callback = callback
        self.open = False

    def __call__(self, request: PinRequest) -> str | None:
        return self.callback(request) if self.open else None


def _preference(credential: Credential) -> int:
    kind = credential.store.kind
    return STORE_PREFERENCE.index(kind) if kind in STORE_PREFERENCE else len(STORE_PREFERENCE)


def find_by_fingerprint(fp: str, pin_callback: PinCallback, settings: Settings | None = None) -> Credential:
    """The credential whose certificate has this SHA-256 fingerprint (case, colons and `sha256:` ignored).

    When several stores hold it, the key is used from the safest one (a card before a file). Stores
    that do not hold it are closed; the returned credential's store stays open for the batch.
    """
    wanted = normalize_fingerprint(fp)
    gate = _Gate(pin_callback)
    store_set = open_stores(gate, settings)
    chosen: Credential | None = None
    try:
        result = _collect(store_set.stores, store_set.errors)
        matches = [c for c, _ in result.found if c.fingerprint_sha256 == wanted]
        if not matches:
            gate.open = True
            for store in result.needing_secret():
                try:
                    creds = store.credentials()
                    _remember_opened_p12(store, creds)
                    matches.extend(c for c in creds if c.fingerprint_sha256 == wanted)
                except PinCancelledError:
                    raise
                except KeyStoreError as exc:
                    log.info("store skipped while looking for a fingerprint: %s", exc.code)
                if matches:
                    break
        gate.open = True
        if not matches:
            raise KeyNotFoundError(
                M_(
                    "Aucun certificat d'empreinte {format_fingerprint} n'a été trouvé dans vos magasins (carte, magasin du système, fichiers). Vérifiez que la carte est branchée.",
                    format_fingerprint=format_fingerprint(wanted),
                ),
            )
        chosen = min(matches, key=_preference)
        return chosen
    finally:
        for store in store_set.stores:
            if chosen is None or not _holds(store, chosen):
                store.close()


def _holds(store: KeyStore, credential: Credential) -> bool:
    """Does `store` back this credential? (selection.release closes `credential._store`.)"""
    backing = getattr(credential, "_store", None)
    if isinstance(backing, KeyStore):
        return backing is store
    ref = getattr(store, "ref", None)
    if isinstance(ref, StoreRef):
        return ref == credential.store
    return credential.store.kind == store.kind


def usable_credentials(
    pin_callback: PinCallback,
    settings: Settings | None = None,
    *,
    purpose: str = "sign",
    now: dt.datetime | None = None,
) -> tuple[list[Credential], StoreSet]:
    """Credentials a job may offer the user, best first, and the stores to close after the batch.

    One credential per certificate, from its safest store (a card before a file). `purpose` is
    "sign" (certificates that can sign today, procurement-ready first) or "decrypt" (RSA
    key-transport keys, expired ones included: old plis stay decryptable). Stores are listed without
    secrets; password-protected .p12 files are opened (one prompt each) only when nothing else fits.
    The callback is live afterwards, so the chosen key asks for its PIN when it first signs.
    """
    if purpose not in ("sign", "decrypt"):
        raise ValueError(f"unknown purpose {purpose!r}")
    gate = _Gate(pin_callback)
    store_set = open_stores(gate, settings)
    result = _collect(store_set.stores, store_set.errors)

    def fitting(found: list[tuple[Credential, StoreRef]]) -> list[Credential]:
        inventory = build_inventory(found, now=now)
        best: dict[str, Credential] = {}
        for credential, _ in found:
            known = best.get(credential.fingerprint_sha256)
            if known is None or _preference(credential) < _preference(known):
                best[credential.fingerprint_sha256] = credential
        out: list[Credential] = []
        for entry in inventory.entries:  # already sorted: qualified signature first
            ok = entry.verdict.usable_for_signature if purpose == "sign" else entry.verdict.usable_for_decryption
            if ok:
                out.append(best[entry.fingerprint_sha256])
        return out

    gate.open = True
    candidates = fitting(result.found)
    retry = result.needing_secret()
    if not candidates and retry and pin_callback is not no_pin:
        result.merge_retry(retry, _collect(retry))
        candidates = fitting(result.found)
    return candidates, store_set
