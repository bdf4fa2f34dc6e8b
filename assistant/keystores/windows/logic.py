"""Pure logic of the Windows backend: no Windows call here, so all of it is tested on Linux.

* where the store is (`CurrentUser\\MY`, the "Personnel" store of certmgr.msc) and the flags that
  open it read-only;
* which certificates are offered (those with a private key, once each);
* how a `SignatureMechanism` / `DecryptionMechanism` maps to CNG padding flags and algorithm names,
  and to the CryptoAPI ALG_IDs for keys still held by a legacy CSP (old smart-card middleware);
* CryptoAPI's little-endian signatures and ciphertexts;
* the HRESULT / NTSTATUS / SCARD codes a user may meet, as French messages.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.i18n import M_, N_, _
from assistant.keystores.base import (
    DecryptionMechanism,
    DecryptionScheme,
    HashAlgorithm,
    KeyNotFoundError,
    KeyStoreError,
    OperationNotPermittedError,
    PinCancelledError,
    PinIncorrectError,
    PinLockedError,
    SignatureMechanism,
    SignatureScheme,
    TokenAbsentError,
    der_ecdsa_from_raw,
)
from assistant.keystores.errors import KeyStoreCode
from assistant.keystores.osstore import once_each, operation_failed, wrong_key_error

# --------------------------------------------------------------------------------------------
# Opening the store (wincrypt.h)

CERT_STORE_PROV_SYSTEM_W = 10
CERT_SYSTEM_STORE_LOCATION_SHIFT = 16
CERT_SYSTEM_STORE_CURRENT_USER = 1 << CERT_SYSTEM_STORE_LOCATION_SHIFT
CERT_SYSTEM_STORE_LOCAL_MACHINE = 2 << CERT_SYSTEM_STORE_LOCATION_SHIFT
CERT_STORE_OPEN_EXISTING_FLAG = 0x00004000
CERT_STORE_READONLY_FLAG = 0x00008000
X509_ASN_ENCODING = 0x00000001
PKCS_7_ASN_ENCODING = 0x00010000

CERT_KEY_PROV_INFO_PROP_ID = 2
CERT_FRIENDLY_NAME_PROP_ID = 11

CRYPT_ACQUIRE_CACHE_FLAG = 0x00000001
CRYPT_ACQUIRE_COMPARE_KEY_FLAG = 0x00000004
CRYPT_ACQUIRE_SILENT_FLAG = 0x00000040
CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG = 0x00010000
CRYPT_ACQUIRE_PREFER_NCRYPT_KEY_FLAG = 0x00020000
CRYPT_ACQUIRE_ONLY_NCRYPT_KEY_FLAG = 0x00040000

#: dwKeySpec returned by CryptAcquireCertificatePrivateKey
AT_KEYEXCHANGE = 1
AT_SIGNATURE = 2
CERT_NCRYPT_KEY_SPEC = 0xFFFFFFFF


class Location(enum.StrEnum):
    CURRENT_USER = "CurrentUser"
    LOCAL_MACHINE = "LocalMachine"


_LOCATION_FLAGS = {
    Location.CURRENT_USER: CERT_SYSTEM_STORE_CURRENT_USER,
    Location.LOCAL_MACHINE: CERT_SYSTEM_STORE_LOCAL_MACHINE,
}

#: Names of the system stores, as certmgr.msc shows them (French source, translated where shown).
STORE_NAMES_FR = {
    "MY": N_("Personnel"),
    "ROOT": N_("Autorités de certification racines de confiance"),
    "CA": N_("Autorités intermédiaires"),
}


@dataclass(frozen=True)
class StoreLocation:
    location: Location
    name: str  # "MY"

    @property
    def label(self) -> str:
        known = STORE_NAMES_FR.get(self.name.upper())
        name = _(known) if known else self.name
        where = _("utilisateur") if self.location is Location.CURRENT_USER else _("ordinateur")
        return _("Magasin Windows ({where}, {name})").format(where=where, name=name)

    @property
    def uri(self) -> str:
        return f"windows:{self.location.value}\\{self.name}"

    def open_flags(self, *, read_only: bool = True) -> int:
        """dwFlags of CertOpenStore(CERT_STORE_PROV_SYSTEM_W, ...): never create, read-only by default."""
        flags = _LOCATION_FLAGS[self.location] | CERT_STORE_OPEN_EXISTING_FLAG
        return flags | CERT_STORE_READONLY_FLAG if read_only else flags


def parse_store_location(text: str = "CurrentUser\\MY") -> StoreLocation:
    r"""`CurrentUser\MY`, `LocalMachine/My`, `windows:CurrentUser\MY` or just `MY` (current user)."""
    value = text.strip()
    if value.lower().startswith("windows:"):
        value = value[len("windows:") :]
    parts = [p for p in value.replace("/", "\\").split("\\") if p]
    if len(parts) == 1:
        parts = [Location.CURRENT_USER.value, parts[0]]
    if len(parts) != 2 or not parts[1].isalnum():
        raise KeyStoreError(
            M_("Emplacement de magasin Windows invalide : {text!r} (exemple : CurrentUser\\MY).", text=text),
            code=KeyStoreCode.BAD_STORE_LOCATION,
        )
    by_name = {loc.value.lower(): loc for loc in Location}
    location = by_name.get(parts[0].lower())
    if location is None:
        raise KeyStoreError(
            M_("Emplacement inconnu : « {location} » (CurrentUser ou LocalMachine).", location=parts[0]),
            code=KeyStoreCode.BAD_STORE_LOCATION,
        )
    return StoreLocation(location, parts[1].upper())


# --------------------------------------------------------------------------------------------
# Which certificates are offered


@dataclass(frozen=True)
class Candidate:
    """What the OS layer reads for each certificate context, before any key is touched."""

    der: bytes
    thumbprint_sha1: str  # as Windows shows it (certmgr, PowerShell Cert:\\)
    has_key_info: bool  # CERT_KEY_PROV_INFO_PROP_ID present: a private key is associated
    provider: str = ""  # "Microsoft Smart Card Key Storage Provider", "Microsoft Software Key Storage Provider"...
    friendly_name: str = ""


def select_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Certificates with a private key, once each (the store may hold duplicates after re-imports)."""
    return once_each(cand for cand in candidates if cand.has_key_info)


def provider_kind(provider: str) -> str:
    """Where the key lives, in the user's language, from the provider's name."""
    name = provider.lower()
    if "smart card" in name or "carte" in name or "minidriver" in name:
        return _("carte à puce")
    if "platform crypto" in name:
        return _("puce TPM")
    if "software" in name or "enhanced" in name or "strong" in name or "base" in name:
        return _("logiciel")
    return _("fournisseur {provider}").format(provider=provider) if provider else _("inconnu")


# --------------------------------------------------------------------------------------------
# Mechanisms (bcrypt.h / ncrypt.h)

BCRYPT_PAD_NONE = 0x00000001
BCRYPT_PAD_PKCS1 = 0x00000002
BCRYPT_PAD_OAEP = 0x00000004
BCRYPT_PAD_PSS = 0x00000008
NCRYPT_SILENT_FLAG = 0x00000040

#: pszAlgId of BCRYPT_PKCS1_PADDING_INFO / BCRYPT_PSS_PADDING_INFO / BCRYPT_OAEP_PADDING_INFO
CNG_HASH_NAMES = {
    HashAlgorithm.SHA1: "SHA1",
    HashAlgorithm.SHA256: "SHA256",
    HashAlgorithm.SHA384: "SHA384",
    HashAlgorithm.SHA512: "SHA512",
}


class PaddingKind(enum.StrEnum):
    NONE = "none"  # ECDSA: no padding structure
    PKCS1 = "pkcs1"  # BCRYPT_PKCS1_PADDING_INFO
    PSS = "pss"  # BCRYPT_PSS_PADDING_INFO
    OAEP = "oaep"  # BCRYPT_OAEP_PADDING_INFO


@dataclass(frozen=True)
class CngSignParams:
    padding: PaddingKind
    flags: int  # dwFlags of NCryptSignHash
    hash_name: str | None  # pszAlgId
    salt_length: int = 0  # cbSalt for PSS

    def convert_signature(self, raw: bytes) -> bytes:
        """CNG returns ECDSA as r||s; CMS and X.509 want DER."""
        return der_ecdsa_from_raw(raw) if self.padding is PaddingKind.NONE else raw


def cng_sign_params(mechanism: SignatureMechanism) -> CngSignParams:
    if mechanism.hash is HashAlgorithm.SHA1:
        raise OperationNotPermittedError(M_("SHA-1 n'est plus accepté pour signer."))
    name = CNG_HASH_NAMES[mechanism.hash]
    if mechanism.scheme is SignatureScheme.ECDSA:
        return CngSignParams(PaddingKind.NONE, 0, None)
    if mechanism.scheme is SignatureScheme.RSA_PSS:
        return CngSignParams(PaddingKind.PSS, BCRYPT_PAD_PSS, name, mechanism.hash.digest_size)
    return CngSignParams(PaddingKind.PKCS1, BCRYPT_PAD_PKCS1, name)


@dataclass(frozen=True)
class CngDecryptParams:
    padding: PaddingKind
    flags: int
    hash_name: str | None = None
    label: bytes = b""


def cng_decrypt_params(mechanism: DecryptionMechanism) -> CngDecryptParams:
    if mechanism.scheme is DecryptionScheme.RSA_OAEP:
        if mechanism.mgf1_hash is not None and mechanism.mgf1_hash is not mechanism.hash:
            # BCRYPT_OAEP_PADDING_INFO has one hash for both: CNG cannot do a different MGF1 hash.
            raise OperationNotPermittedError(
                M_("Le magasin Windows ne sait pas déchiffrer en OAEP avec deux fonctions de hachage différentes."),
            )
        return CngDecryptParams(
            PaddingKind.OAEP, BCRYPT_PAD_OAEP, CNG_HASH_NAMES[mechanism.hash], mechanism.label or b""
        )
    return CngDecryptParams(PaddingKind.PKCS1, BCRYPT_PAD_PKCS1)


# -- CryptoAPI (legacy CSP keys) --------------------------------------------------------------

CALG_SHA1 = 0x00008004
CALG_SHA_256 = 0x0000800C
CALG_SHA_384 = 0x0000800D
CALG_SHA_512 = 0x0000800E
HP_HASHVAL = 0x0002
CRYPT_OAEP = 0x00000040
PROV_RSA_AES = 24

CAPI_HASH_ALGS = {
    HashAlgorithm.SHA1: CALG_SHA1,
    HashAlgorithm.SHA256: CALG_SHA_256,
    HashAlgorithm.SHA384: CALG_SHA_384,
    HashAlgorithm.SHA512: CALG_SHA_512,
}


def capi_sign_alg(mechanism: SignatureMechanism) -> int:
    """ALG_ID for CryptCreateHash. CryptoAPI signs PKCS#1 v1.5 only: PSS and ECDSA need CNG."""
    if mechanism.scheme is not SignatureScheme.RSA_PKCS1V15:
        raise OperationNotPermittedError(
            M_(
                "Cette carte utilise un ancien pilote (CSP) qui ne sait signer qu'en RSA PKCS#1 v1.5. Installez le pilote récent (minidriver) de votre fournisseur."
            ),
        )
    if mechanism.hash is HashAlgorithm.SHA1:
        raise OperationNotPermittedError(M_("SHA-1 n'est plus accepté pour signer."))
    return CAPI_HASH_ALGS[mechanism.hash]


def capi_decrypt_flags(mechanism: DecryptionMechanism) -> int:
    """dwFlags of CryptDecrypt: CryptoAPI knows PKCS#1 v1.5 and OAEP with SHA-1 only."""
    if mechanism.scheme is DecryptionScheme.RSA_PKCS1V15:
        return 0
    if (
        mechanism.hash is HashAlgorithm.SHA1
        and mechanism.mgf1_hash in (None, HashAlgorithm.SHA1)
        and not mechanism.label
    ):
        return CRYPT_OAEP
    raise OperationNotPermittedError(
        M_("Cette carte utilise un ancien pilote (CSP) qui ne déchiffre en OAEP qu'avec SHA-1."),
    )


def capi_to_big_endian(blob: bytes) -> bytes:
    """CryptSignHash returns the signature little-endian; PKCS#1 wants big-endian."""
    return blob[::-1]


def capi_from_big_endian(blob: bytes) -> bytes:
    """CryptDecrypt wants the RSA ciphertext little-endian; CMS carries it big-endian."""
    return blob[::-1]


# --------------------------------------------------------------------------------------------
# Error codes -> French


def _u32(code: int) -> int:
    return code & 0xFFFFFFFF


NTE_BAD_KEY = 0x80090003
NTE_BAD_DATA = 0x80090005
NTE_BAD_SIGNATURE = 0x80090006
NTE_BAD_KEYSET = 0x80090016
NTE_NO_KEY = 0x8009000D
NTE_PERM = 0x80090010
NTE_SILENT_CONTEXT = 0x80090022
NTE_INVALID_PARAMETER = 0x80090027
NTE_NOT_SUPPORTED = 0x80090029
NTE_DECRYPTION_FAILURE = 0x8009002C
NTE_USER_CANCELLED = 0x80090036
CRYPT_E_NO_KEY_PROPERTY = 0x8009200B
SCARD_E_NO_SMARTCARD = 0x8010000C
SCARD_E_NO_READERS_AVAILABLE = 0x8010002E
SCARD_W_REMOVED_CARD = 0x80100069
SCARD_W_WRONG_CHV = 0x8010006B
SCARD_W_CHV_BLOCKED = 0x8010006C
SCARD_W_CANCELLED_BY_USER = 0x8010006E
SCARD_W_CARD_NOT_AUTHENTICATED = 0x8010006F
HRESULT_ERROR_CANCELLED = 0x800704C7
STATUS_INVALID_SIGNATURE = 0xC000A000

_CANCELLED = {NTE_USER_CANCELLED, SCARD_W_CANCELLED_BY_USER, HRESULT_ERROR_CANCELLED}
_ABSENT = {SCARD_E_NO_SMARTCARD, SCARD_W_REMOVED_CARD, SCARD_E_NO_READERS_AVAILABLE}
_NO_KEY = {NTE_BAD_KEYSET, NTE_NO_KEY, CRYPT_E_NO_KEY_PROPERTY}


def error_for(code: int, operation: str = "sign") -> KeyStoreError:
    """The KeyStoreError a Windows status code means, French first. `operation`: sign | decrypt | open."""
    c = _u32(code)
    hex_code = f"0x{c:08X}"
    if c in _CANCELLED:
        return PinCancelledError(M_("Saisie du code PIN annulée."))
    if c == SCARD_W_WRONG_CHV:
        return PinIncorrectError(M_("Code PIN incorrect."))
    if c == SCARD_W_CHV_BLOCKED:
        return PinLockedError(
            M_("Le code PIN de la carte est bloqué : débloquez-le avec le code PUK (outil de votre fournisseur)."),
        )
    if c in _ABSENT:
        return TokenAbsentError(
            M_("Carte ou clé USB absente : branchez-la puis recommencez."),
        )
    if c in _NO_KEY:
        return KeyNotFoundError(
            M_("La clé privée de ce certificat est introuvable (carte retirée ou certificat importé sans sa clé)."),
        )
    if c in (NTE_SILENT_CONTEXT, SCARD_W_CARD_NOT_AUTHENTICATED):
        return PinCancelledError(
            M_("La carte demande le code PIN, mais aucune saisie n'était possible."),
        )
    if c == NTE_PERM:
        return OperationNotPermittedError(
            M_("Windows refuse cette opération avec cette clé (usage non autorisé)."),
        )
    if c in (NTE_NOT_SUPPORTED, NTE_INVALID_PARAMETER):
        return OperationNotPermittedError(
            M_("Le pilote de la clé ne prend pas en charge cet algorithme ({hex_code}).", hex_code=hex_code),
        )
    if operation == "decrypt" and c in (NTE_BAD_DATA, NTE_DECRYPTION_FAILURE, NTE_BAD_KEY):
        return wrong_key_error()
    return operation_failed(
        operation,
        where=M_("le magasin Windows"),
        detail=f"code {hex_code}",
        code=KeyStoreCode.WINDOWS_ERROR,
        verbs={"open": M_("L'ouverture du magasin")},
    )
