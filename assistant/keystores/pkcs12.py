"""PKCS#12 files (.p12/.pfx) as a key store.

The password is asked through the PIN callback when a private-key operation first needs it, used
to open the file, and dropped: it is never kept, logged or written.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from assistant.errors import Code
from assistant.i18n import M_
from assistant.keystores.base import (
    CorruptFileError,
    Credential,
    DecryptionMechanism,
    KeyStore,
    KeyStoreError,
    PinCallback,
    PinCancelledError,
    PinRequest,
    SignatureMechanism,
    StoreKind,
    StoreRef,
    WrongPasswordError,
)
from assistant.keystores.software import SoftwareCredential

MAX_P12_SIZE = 1 << 20
#: A callback that keeps answering a wrong password (a script, an env variable) is stopped here.
MAX_PASSWORD_ATTEMPTS = 5  # a PKCS#12 with a key and a chain is a few KB; refuse anything absurd


def read_p12_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_P12_SIZE:
            raise CorruptFileError(
                M_("Le fichier {name} est trop volumineux pour être un certificat PKCS#12.", name=path.name),
            )
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyStoreError(M_("Fichier introuvable : {path}", path=path), code=Code.FILE_NOT_FOUND) from exc
    except IsADirectoryError as exc:
        raise KeyStoreError(M_("{path} est un dossier.", path=path), code=Code.FILE_NOT_FOUND) from exc


def parse_p12(data: bytes, password: str | None, name: str) -> pkcs12.PKCS12KeyAndCertificates:
    """Open a PKCS#12 blob, telling a wrong password apart from a corrupt file."""
    pw = password.encode("utf-8") if password is not None else None
    try:
        return pkcs12.load_pkcs12(data, pw)
    except ValueError as exc:
        # cryptography says "Invalid password or PKCS12 data": tell them apart by trying to
        # parse the outer structure, which needs no password.
        from asn1crypto import pkcs12 as asn1_pkcs12

        try:
            parsed = asn1_pkcs12.Pfx.load(data, strict=True)
            parsed["auth_safe"]["content"].native  # noqa: B018 - forces a full parse
        except Exception:
            raise CorruptFileError(
                M_("Le fichier {name} est endommagé ou n'est pas un fichier PKCS#12 (.p12/.pfx).", name=name),
            ) from exc
        raise WrongPasswordError(M_("Mot de passe incorrect pour {name}.", name=name)) from exc


class Pkcs12Credential(Credential):
    """A credential whose key is read from the file only when first used (password on demand)."""

    def __init__(self, store: Pkcs12Store, certificate: x509.Certificate, chain: list[x509.Certificate]) -> None:
        super().__init__(certificate, store.ref, chain=chain, label=store.path.name)
        self._store = store

    def sign_digest(self, digest: bytes, mechanism: SignatureMechanism) -> bytes:
        return self._store.unlocked().sign_digest(digest, mechanism)

    def decrypt(self, ciphertext: bytes, mechanism: DecryptionMechanism) -> bytes:
        return self._store.unlocked().decrypt(ciphertext, mechanism)


class Pkcs12Store(KeyStore):
    kind = StoreKind.PKCS12

    def __init__(self, path: Path | str, pin_callback: PinCallback, *, password: str | None = None) -> None:
        self.path = Path(path)
        self.ref = StoreRef(StoreKind.PKCS12, self.path.name, str(self.path))
        self._pin_callback = pin_callback
        self._data = read_p12_bytes(self.path)
        self._unlocked: SoftwareCredential | None = None
        self._public: tuple[x509.Certificate, list[x509.Certificate]] | None = None
        if password is not None:
            self._unlock_with(password)

    def _unlock_with(self, password: str) -> SoftwareCredential:
        parsed = parse_p12(self._data, password, self.path.name)
        if parsed.cert is None or parsed.key is None:
            raise CorruptFileError(
                M_("Le fichier {name} ne contient pas de certificat avec sa clé privée.", name=self.path.name),
            )
        key = parsed.key
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise KeyStoreError(M_("Type de clé non pris en charge."))
        chain = [c.certificate for c in parsed.additional_certs]
        self._unlocked = SoftwareCredential(parsed.cert.certificate, key, self.ref, chain=chain, label=self.path.name)
        self._public = (parsed.cert.certificate, chain)
        return self._unlocked

    def unlocked(self) -> SoftwareCredential:
        if self._unlocked is not None:
            return self._unlocked
        for attempt in range(MAX_PASSWORD_ATTEMPTS):
            password = self._pin_callback(PinRequest(self.path.name, kind="password", retry=attempt > 0))
            if password is None:
                raise PinCancelledError(M_("Saisie du mot de passe annulée."))
            try:
                return self._unlock_with(password)
            except WrongPasswordError:
                if attempt == MAX_PASSWORD_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def login(self) -> None:
        self.unlocked()

    def _public_parts(self) -> tuple[x509.Certificate, list[x509.Certificate]]:
        """Certificates of a PKCS#12 are usually encrypted too: ask for the password if so."""
        if self._public is None:
            try:
                parsed = parse_p12(self._data, None, self.path.name)
                if parsed.cert is not None:
                    self._public = (parsed.cert.certificate, [c.certificate for c in parsed.additional_certs])
            except WrongPasswordError:
                pass
            if self._public is None:
                self.unlocked()
        assert self._public is not None
        return self._public

    def credentials(self) -> list[Credential]:
        cert, chain = self._public_parts()
        return [Pkcs12Credential(self, cert, chain)]

    def close(self) -> None:
        self._unlocked = None
