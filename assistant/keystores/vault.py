"""The assistant's software vault: password-protected PKCS#12 files in the data folder.

For users without a card, a bi-clé made by the assistant lives here, one file per key
(`<data_dir>/vault/<name>.p12`, its certificate in clear beside it as `<name>.pem` so that
listing needs no password), encrypted with AES-256 (PBES2, PBKDF2-SHA-256) and MAC'd with
HMAC-SHA-256. The password is never written anywhere by the assistant: it is asked through the
PinCallback (kind "password"), or read from the OS keyring when the user chose to remember it
there (assistant.secrets), and dropped once the file is open.

`VaultStore` is one vault file as a KeyStore; `Vault` is the whole vault (every file) as one
KeyStore, which is what the inventory and `resolve_key("vault:…")` list.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets as _random
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from assistant import paths, secrets
from assistant.errors import Code
from assistant.i18n import M_, _
from assistant.keystores.base import (
    CorruptFileError,
    Credential,
    KeyStore,
    KeyStoreError,
    PinCallback,
    PinRequest,
    StoreKind,
    StoreRef,
)
from assistant.keystores.errors import KeyStoreCode
from assistant.keystores.pkcs12 import Pkcs12Store
from assistant.keystores.software import SoftwareCredential

VAULT_FOLDER = "vault"
PBKDF2_ROUNDS = 200_000
_SAFE_NAME = re.compile(r"[^\w.@ -]+", re.UNICODE)


def vault_dir(*, create: bool = False) -> Path:
    folder = paths.data_dir() / VAULT_FOLDER
    if create:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def vault_label(name: str) -> str:
    """The vault's name as shown (in the user's language when it is made: a PIN question, a result)."""
    return _("Coffre de l'assistant ({name})").format(name=name)


def secret_name(name: str) -> str:
    """The OS keyring entry that may hold this vault file's password (only if the user asked)."""
    return f"vault:{name}"


def safe_file_name(name: str) -> str:
    """A file name for a key name ("Jean DUPONT" -> "Jean DUPONT"), without separators or dots first."""
    cleaned = _SAFE_NAME.sub("_", name).strip(" .")
    if not cleaned:
        raise KeyStoreError(M_("Nom de clé invalide."), code=KeyStoreCode.BAD_NAME)
    return cleaned[:100]


def encrypt_p12(
    private_key: rsa.RSAPrivateKey, certificate: x509.Certificate, password: str, friendly_name: str
) -> bytes:
    """A PKCS#12 that OpenSSL 3, NSS's pk12util, Windows and macOS all open, with modern encryption."""
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(PBKDF2_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode("utf-8"))
    )
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8"), private_key, certificate, None, encryption
    )


def write_private_file(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write through a 0600 temp file renamed at the end; never replace an existing file unless asked."""
    if path.exists() and not overwrite:
        raise KeyStoreError(M_("Le fichier {path} existe déjà.", path=path), code=Code.OUTPUT_EXISTS)
    tmp = path.parent / f".{path.name}.{_random.token_hex(4)}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists() and not overwrite:
            raise KeyStoreError(M_("Le fichier {path} existe déjà.", path=path), code=Code.OUTPUT_EXISTS)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class VaultStore(Pkcs12Store):
    """One vault file. Tries the keyring first (when the user stored the password there)."""

    kind = StoreKind.VAULT

    def __init__(self, path: Path | str, pin_callback: PinCallback, *, password: str | None = None) -> None:
        path = Path(path)
        self.name = path.stem
        self._user_callback = pin_callback
        self._tried_keyring = False
        super().__init__(path, self._ask)
        self.ref = StoreRef(StoreKind.VAULT, vault_label(self.name), f"vault:{self.name}")
        if password is not None:
            self._unlock_with(password)

    @property
    def certificate_path(self) -> Path:
        return self.path.with_suffix(".pem")

    def _public_parts(self) -> tuple[x509.Certificate, list[x509.Certificate]]:
        """The certificate kept in clear beside the file: listing the vault needs no password."""
        if self._public is None and self.certificate_path.is_file():
            with contextlib.suppress(ValueError, OSError):
                self._public = (x509.load_pem_x509_certificate(self.certificate_path.read_bytes()), [])
        return super()._public_parts()

    def _unlock_with(self, password: str) -> SoftwareCredential:
        listed = self._public
        unlocked = super()._unlock_with(password)
        if listed is not None and listed[0] != unlocked.certificate:
            self._unlocked = None
            raise CorruptFileError(
                M_("Le certificat affiché pour {name} ne correspond pas à la clé du coffre.", name=self.name),
            )
        return unlocked

    def _ask(self, request: PinRequest) -> str | None:
        if not self._tried_keyring:
            self._tried_keyring = True
            remembered = secrets.get_secret(secret_name(self.name))
            if remembered is not None:
                return remembered
        return self._user_callback(
            PinRequest(
                vault_label(self.name), kind="password", state=request.state, retry=request.retry, reason=request.reason
            )
        )


class Vault(KeyStore):
    """Every file of the vault as one store: listing needs no password when certificates are readable."""

    kind = StoreKind.VAULT

    def __init__(self, pin_callback: PinCallback) -> None:
        self._pin_callback = pin_callback
        self.errors: list[KeyStoreError] = []
        self.stores: list[VaultStore] = []
        folder = vault_dir()
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix.lower() in (".p12", ".pfx") and path.is_file() and not path.name.startswith("."):
                    try:
                        self.stores.append(VaultStore(path, pin_callback))
                    except KeyStoreError as exc:
                        self.errors.append(exc)

    def credentials(self) -> list[Credential]:
        found: list[Credential] = []
        for store in self.stores:
            try:
                found.extend(store.credentials())
            except KeyStoreError as exc:
                self.errors.append(exc)
        return found

    def close(self) -> None:
        for store in self.stores:
            store.close()


def save_to_vault(
    name: str, private_key: rsa.RSAPrivateKey, certificate: x509.Certificate, password: str, *, remember: bool = False
) -> Path:
    """Store a new key in the vault (refuses to replace an existing one) and return its file."""
    path = vault_dir(create=True) / f"{safe_file_name(name)}.p12"
    write_private_file(path, encrypt_p12(private_key, certificate, password, name))
    public = path.with_suffix(".pem")
    write_private_file(public, certificate.public_bytes(serialization.Encoding.PEM), overwrite=True)
    if remember:
        secrets.set_secret(secret_name(path.stem), password)
    return path
