"""The one interface through which the assistant signs and decrypts without seeing a private key.

A `Credential` is a certificate (with its chain where known) plus the private-key operations its
store can perform: `sign` / `sign_digest` and `decrypt`. pyHanko, the CMS and XAdES builders and the
envelope decryptor all go through it, so where the key lives (a smart card, the NSS database, a
PKCS#12 file, Windows CNG, the macOS keychain) is invisible above this layer.

A `KeyStore` lists its credentials without logging in (certificates are public) and logs in once,
through a `PinCallback`, the first time a private-key operation needs it: one PIN for a whole batch.
"""

from __future__ import annotations

import enum
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from assistant.errors import AssistantError, Code
from assistant.i18n import M_
from assistant.keystores.errors import KeyStoreCode

# --------------------------------------------------------------------------------------------
# Mechanisms


class HashAlgorithm(enum.StrEnum):
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"
    SHA1 = "sha1"  # only for reading old envelopes (OAEP-SHA1); never for new signatures

    @property
    def digest_size(self) -> int:
        return {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}[self.value]

    def new(self) -> hashlib._Hash:
        return hashlib.new(self.value)

    def crypto_hash(self) -> hashes.HashAlgorithm:
        classes: dict[str, type[hashes.SHA1 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
            "sha1": hashes.SHA1,
            "sha256": hashes.SHA256,
            "sha384": hashes.SHA384,
            "sha512": hashes.SHA512,
        }
        return classes[self.value]()


class SignatureScheme(enum.StrEnum):
    RSA_PKCS1V15 = "rsa_pkcs1v15"
    RSA_PSS = "rsa_pss"
    ECDSA = "ecdsa"


@dataclass(frozen=True)
class SignatureMechanism:
    """A signature scheme with its hash. PSS uses MGF1 with the same hash and salt = hash length."""

    scheme: SignatureScheme
    hash: HashAlgorithm = HashAlgorithm.SHA256


class DecryptionScheme(enum.StrEnum):
    RSA_PKCS1V15 = "rsa_pkcs1v15"
    RSA_OAEP = "rsa_oaep"


@dataclass(frozen=True)
class DecryptionMechanism:
    """RSA key transport. For OAEP, `hash` is both the OAEP hash and MGF1's (as OpenSSL does by default)."""

    scheme: DecryptionScheme
    hash: HashAlgorithm = HashAlgorithm.SHA1
    mgf1_hash: HashAlgorithm | None = None
    label: bytes | None = None


# --------------------------------------------------------------------------------------------
# Errors (French first: these reach the user)


class KeyStoreError(AssistantError):
    code: str = KeyStoreCode.KEYSTORE


class PinIncorrectError(KeyStoreError):
    code: str = KeyStoreCode.PIN_INCORRECT


class PinLockedError(KeyStoreError):
    code: str = KeyStoreCode.PIN_LOCKED


class PinCancelledError(KeyStoreError):
    code: str = KeyStoreCode.PIN_CANCELLED


class ModuleMissingError(KeyStoreError):
    code: str = KeyStoreCode.MODULE_MISSING


class TokenAbsentError(KeyStoreError):
    code: str = Code.TOKEN_ABSENT


class KeyNotFoundError(KeyStoreError):
    code: str = KeyStoreCode.KEY_NOT_FOUND


class WrongPasswordError(KeyStoreError):
    code: str = KeyStoreCode.WRONG_PASSWORD


class CorruptFileError(KeyStoreError):
    code: str = KeyStoreCode.CORRUPT_FILE


class OperationNotPermittedError(KeyStoreError):
    """The key exists but may not do this (a signature-only key asked to decrypt, and so on)."""

    code: str = KeyStoreCode.OPERATION_NOT_PERMITTED


class DecryptionFailedError(KeyStoreError):
    """The private-key operation failed: usually the envelope was made for another key."""

    code: str = KeyStoreCode.DECRYPTION_FAILED


# --------------------------------------------------------------------------------------------
# PIN entry


class PinState(enum.StrEnum):
    OK = "ok"
    COUNT_LOW = "count_low"  # a wrong PIN has been entered since the last good one
    FINAL_TRY = "final_try"  # one more wrong PIN locks the card


@dataclass(frozen=True)
class PinRequest:
    """What the PIN prompt shows. The answer is never stored by the assistant."""

    store_label: str  # "Carte ChamberSign (Idopte)", "Fichier certificat.p12", ...
    kind: str = "pin"  # "pin" for a token, "password" for a PKCS#12 file or the vault
    state: PinState = PinState.OK
    retry: bool = False  # the previous attempt was wrong
    reason: str = ""  # why asked (again), in the user's language: the key requires a PIN for every signature
    protected_path: bool = False  # PIN pad reader: the user types on the reader, return ""
    #: A secret the user chooses now (a new vault's password): asked twice, with `rule` (in the
    #: user's language; `rule_en` its English) stated before typing; `reason` then says why a
    #: previous choice was refused. A request is made when it is asked: its texts are translated then.
    new_secret: bool = False
    rule: str = ""
    rule_en: str = ""


#: Returns the PIN/password, or None when the user cancels.
PinCallback = Callable[[PinRequest], "str | None"]


def no_pin(request: PinRequest) -> str | None:
    """A callback for non-interactive contexts: refuses to ask."""
    return None


# --------------------------------------------------------------------------------------------
# Stores and credentials


class StoreKind(enum.StrEnum):
    PKCS11 = "pkcs11"  # smart card or USB token
    NSS = "nss"  # the Linux OS store (NSS shared DB, Firefox profiles)
    PKCS12 = "pkcs12"  # a .p12/.pfx file
    VAULT = "vault"  # the assistant's own software vault (a password-protected PKCS#12)
    WINDOWS = "windows"  # CurrentUser\\MY
    MACOS = "macos"  # login keychain


@dataclass(frozen=True)
class StoreRef:
    """Where a credential lives, for display and for finding it again (`uri`)."""

    kind: StoreKind
    label: str  # shown to the user: "SoftHSM test-token", "NSS (~/.pki/nssdb)", "cert.p12"
    uri: str  # PKCS#11 URI, file path, "nss:DIR", ...


class Credential(ABC):
    """A certificate and the operations its store can do with the matching private key."""

    def __init__(
        self,
        certificate: x509.Certificate,
        store: StoreRef,
        *,
        chain: list[x509.Certificate] | None = None,
        key_id: str = "",
        label: str = "",
        always_authenticate: bool = False,
    ) -> None:
        self.certificate = certificate
        self.store = store
        self.chain = list(chain or [])
        self.key_id = key_id
        self.label = label
        self.always_authenticate = always_authenticate

    # -- description ---------------------------------------------------------------------

    @property
    def fingerprint_sha256(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    @property
    def public_key(self) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
        key = self.certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise KeyStoreError(
                M_("Type de clé non pris en charge (RSA ou courbe elliptique attendus)."),
            )
        return key

    @property
    def key_type(self) -> str:
        return "EC" if isinstance(self.certificate.public_key(), ec.EllipticCurvePublicKey) else "RSA"

    @property
    def key_size(self) -> int:
        return int(self.public_key.key_size)

    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def default_signature_mechanism(self, hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256) -> SignatureMechanism:
        scheme = SignatureScheme.ECDSA if self.key_type == "EC" else SignatureScheme.RSA_PKCS1V15
        return SignatureMechanism(scheme, hash_algorithm)

    # -- the store behind the key ---------------------------------------------------------

    @property
    def key_store(self) -> KeyStore | None:
        """The open store this credential came from: to log in early, find its chain, close it.

        Backends keep it in `_store`; a credential built by hand has none.
        """
        store = getattr(self, "_store", None)
        return store if isinstance(store, KeyStore) else None

    def login(self) -> None:
        """Ask for the PIN or password now rather than at the first operation.

        A batch calls this before hashing its first file, so the user is not left waiting for the
        prompt behind a 2 GB archive. Credentials whose store needs no login do nothing.
        """
        store = self.key_store
        if store is not None:
            store.login()

    # -- private-key operations ----------------------------------------------------------

    def sign(self, data: bytes, mechanism: SignatureMechanism) -> bytes:
        """Sign `data` (hashed here, so only the digest goes to the store).

        Returns the signature as CMS/X.509 expect it: PKCS#1 bytes for RSA, DER
        `Ecdsa-Sig-Value` for ECDSA.
        """
        digest = hashlib.new(mechanism.hash.value, data).digest()
        return self.sign_digest(digest, mechanism)

    @abstractmethod
    def sign_digest(self, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        """Sign a precomputed digest of `mechanism.hash`."""

    @abstractmethod
    def decrypt(self, ciphertext: bytes, mechanism: DecryptionMechanism) -> bytes:
        """RSA-decrypt a small blob (a content-encryption key) inside the store."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.certificate.subject.rfc4514_string()!r} in {self.store.label!r}>"


class KeyStore(ABC):
    """A source of credentials. Opening is cheap; login happens on the first key operation."""

    kind: StoreKind

    @abstractmethod
    def credentials(self) -> list[Credential]:
        """Every certificate that has a matching private key, without asking for a PIN."""

    def certificates(self) -> list[x509.Certificate]:
        """Certificates without a private key here (CA certificates, other people's)."""
        return []

    def login(self) -> None:
        """Unlock the store now (one PIN entry for the batch). Stores without a secret do nothing."""

    def close(self) -> None:
        """Log out and release the store (end of a batch)."""

    def __enter__(self) -> KeyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class StoreSet:
    """Several open stores, closed together at the end of a batch."""

    stores: list[KeyStore] = field(default_factory=list)
    errors: list[KeyStoreError] = field(default_factory=list)

    def credentials(self) -> Iterator[Credential]:
        for store in self.stores:
            yield from store.credentials()

    def close(self) -> None:
        for store in self.stores:
            store.close()


@contextmanager
def opened(store: KeyStore) -> Iterator[KeyStore]:
    try:
        yield store
    finally:
        store.close()


# --------------------------------------------------------------------------------------------
# Helpers shared by backends


def der_ecdsa_from_raw(raw: bytes) -> bytes:
    """PKCS#11 returns ECDSA signatures as r||s; CMS and X.509 want DER."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


_DIGEST_INFO_PREFIX = {
    HashAlgorithm.SHA1: bytes.fromhex("3021300906052b0e03021a05000414"),
    HashAlgorithm.SHA256: bytes.fromhex("3031300d060960864801650304020105000420"),
    HashAlgorithm.SHA384: bytes.fromhex("3041300d060960864801650304020205000430"),
    HashAlgorithm.SHA512: bytes.fromhex("3051300d060960864801650304020305000440"),
}


def digest_info(digest: bytes, hash_algorithm: HashAlgorithm) -> bytes:
    """The DER DigestInfo that RSA PKCS#1 v1.5 signs (for tokens given CKM_RSA_PKCS)."""
    if len(digest) != hash_algorithm.digest_size:
        raise ValueError("digest length does not match the hash algorithm")
    return _DIGEST_INFO_PREFIX[hash_algorithm] + digest
