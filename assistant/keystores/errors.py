"""Error codes of assistant/keystores/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

__all__ = ["MEANINGS", "KeyStoreCode"]


class KeyStoreCode(enum.StrEnum):
    """The error codes of assistant/keystores/."""

    BAD_FINGERPRINT = "bad_fingerprint"
    BAD_KEY_SPEC = "bad_key_spec"
    BAD_NAME = "bad_name"
    BAD_STORE = "bad_store"
    BAD_STORE_LOCATION = "bad_store_location"
    CORRUPT_FILE = "corrupt_file"
    DECRYPTION_FAILED = "decryption_failed"
    DISCOVERY_ERROR = "discovery_error"
    IMPORT_FAILED = "import_failed"
    KEY_AMBIGUOUS = "key_ambiguous"
    KEY_NOT_FOUND = "key_not_found"
    KEYSTORE = "keystore"
    MACOS_ERROR = "macos_error"
    MODULE_ERROR = "module_error"
    MODULE_MISSING = "module_missing"
    NSS_DATABASE = "nss_database"
    OPERATION_NOT_PERMITTED = "operation_not_permitted"
    PATH_REFUSED = "path_refused"
    PIN_CANCELLED = "pin_cancelled"
    PIN_INCORRECT = "pin_incorrect"
    PIN_LOCKED = "pin_locked"
    PKCS11_URI = "pkcs11_uri"
    WINDOWS_ERROR = "windows_error"
    WRITE_PROTECTED = "write_protected"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (an error code, not a password)


#: What each code means: the class's meaning, or « the French message the user sees ».
MEANINGS: dict[KeyStoreCode, str] = {
    KeyStoreCode.BAD_FINGERPRINT: (
        "« Empreinte SHA-256 invalide : 64 chiffres hexadécimaux attendus (les « : » sont permis). »"
    ),
    KeyStoreCode.BAD_KEY_SPEC: (
        "« Désignation de clé non reconnue : « … ». Attendu : une adresse pkcs11:, sha256:<empreinte>, "
        "vault:<nom> ou un fichier .p12/.pfx. »"
    ),
    KeyStoreCode.BAD_NAME: "« Nom de clé invalide. »",
    KeyStoreCode.BAD_STORE: (
        "« Magasin « … » non reconnu : indiquez « nss », « nss:DOSSIER » ou une adresse pkcs11:token=… »"
    ),
    KeyStoreCode.BAD_STORE_LOCATION: "« Emplacement de magasin Windows invalide : … (exemple : CurrentUser\\MY). »",
    KeyStoreCode.CORRUPT_FILE: "« Le fichier … ne contient pas de certificat avec sa clé privée. »",
    KeyStoreCode.DECRYPTION_FAILED: "The private-key operation failed: usually the envelope was made for another key.",
    KeyStoreCode.DISCOVERY_ERROR: "« La recherche des magasins de certificats a échoué (…). »",
    KeyStoreCode.IMPORT_FAILED: "« L'import dans « … » a échoué (…) ; rien n'a été ajouté. »",
    KeyStoreCode.KEY_AMBIGUOUS: (
        "« Plusieurs certificats correspondent (…) : précisez « object= » ou « id= » dans l'adresse. »"
    ),
    KeyStoreCode.KEY_NOT_FOUND: "The named key or certificate is not in the store.",
    KeyStoreCode.KEYSTORE: "A certificate store failed (generic key store error).",
    KeyStoreCode.MACOS_ERROR: "The macOS keychain (Security framework) returned an error.",
    KeyStoreCode.MODULE_ERROR: "« Le module … (…) n'a pas pu être interrogé. »",
    KeyStoreCode.MODULE_MISSING: "The PKCS#11 module (card middleware) cannot be found or loaded.",
    KeyStoreCode.NSS_DATABASE: "« … n'est pas une base de certificats NSS (cert9.db ou cert8.db absent). »",
    KeyStoreCode.OPERATION_NOT_PERMITTED: (
        "The key exists but may not do this (a signature-only key asked to decrypt, and so on)."
    ),
    KeyStoreCode.PATH_REFUSED: (
        "« Une page web ou un traitement ne peut pas désigner un fichier de votre poste. Ajoutez le fichier "
        ".p12 à vos certificats dans l'assistant. »"
    ),
    KeyStoreCode.PIN_CANCELLED: "The user cancelled the PIN or password question.",
    KeyStoreCode.PIN_INCORRECT: "The PIN or password is wrong (the remaining tries are said when the card tells).",
    KeyStoreCode.PIN_LOCKED: "The card's PIN is locked: it must be unlocked with the PUK.",
    KeyStoreCode.PKCS11_URI: "A PKCS#11 URI (RFC 7512) is malformed.",
    KeyStoreCode.WINDOWS_ERROR: "The Windows certificate store (CNG/CryptoAPI) returned an error.",
    KeyStoreCode.WRITE_PROTECTED: "« « … » est protégée en écriture : l'import est impossible. »",
    KeyStoreCode.WRONG_PASSWORD: "The PKCS#12 file's password is wrong.",
}
