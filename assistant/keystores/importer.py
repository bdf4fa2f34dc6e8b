"""Importing a PKCS#12 file (.p12/.pfx) into a token or an NSS database, the way platforms' guides ask.

The file is opened and checked first (a corrupt file or a wrong password stops here, before the
store is touched), the store is logged into second (a wrong PIN stops here), and only then are the
objects created: the private key (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true, CKA_EXTRACTABLE false,
so that it can never be read back), its public key and the certificate, all with the same CKA_ID
(SHA-1 of the public key, NSS's convention, which Firefox and Chrome rely on to pair them). If a
later object fails, the earlier ones are destroyed: the store ends as it was. The password is used
for parsing only and never kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from assistant.errors import Code
from assistant.i18n import M_
from assistant.keystores.base import (
    KeyStoreError,
    PinCallback,
    PinCancelledError,
    PinRequest,
)
from assistant.keystores.errors import KeyStoreCode
from assistant.keystores.names import common_name
from assistant.keystores.pkcs11.backend import Pkcs11Store
from assistant.keystores.pkcs11.objects import certificate_template, creating_objects
from assistant.keystores.pkcs12 import parse_p12, read_p12_bytes

CKO_PUBLIC_KEY, CKO_PRIVATE_KEY = 2, 3
CKK_RSA, CKK_EC = 0, 3
A = {  # attribute numbers (PKCS#11 v2.40)
    "CLASS": 0x0,
    "TOKEN": 0x1,
    "PRIVATE": 0x2,
    "LABEL": 0x3,
    "VALUE": 0x11,
    "KEY_TYPE": 0x100,
    "SUBJECT": 0x101,
    "ID": 0x102,
    "SENSITIVE": 0x103,
    "ENCRYPT": 0x104,
    "DECRYPT": 0x105,
    "WRAP": 0x106,
    "UNWRAP": 0x107,
    "SIGN": 0x108,
    "VERIFY": 0x10A,
    "MODULUS": 0x120,
    "PUBLIC_EXPONENT": 0x122,
    "PRIVATE_EXPONENT": 0x123,
    "PRIME_1": 0x124,
    "PRIME_2": 0x125,
    "EXPONENT_1": 0x126,
    "EXPONENT_2": 0x127,
    "COEFFICIENT": 0x128,
    "EXTRACTABLE": 0x162,
    "EC_PARAMS": 0x180,
    "EC_POINT": 0x181,
}
CKA_NSS_DB = 0xD5A0DB00  # softoken indexes private keys by their public value


@dataclass(frozen=True)
class ImportResult:
    store_label: str
    object_label: str
    fingerprint_sha256: str
    already_present: bool = False


def _int_bytes(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _public_id(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> tuple[bytes, bytes]:
    """(CKA_ID, public value): SHA-1 of the RSA modulus or of the EC point, as NSS computes it."""
    if isinstance(key, rsa.RSAPrivateKey):
        public = _int_bytes(key.public_key().public_numbers().n)
    else:
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    return hashlib.sha1(public, usedforsecurity=False).digest(), public


def _der_octet_string(data: bytes) -> bytes:
    from asn1crypto.core import OctetString

    return bytes(OctetString(data).dump())


def _usages(cert: x509.Certificate) -> tuple[bool, bool]:
    """(may sign, may decrypt) from the certificate's key usage; both when it has none."""
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True, True
    sign = ku.digital_signature or ku.content_commitment
    decrypt = ku.key_encipherment or ku.data_encipherment
    return sign or not decrypt, decrypt


def key_templates(
    cert: x509.Certificate, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, label: str
) -> list[dict[int, Any]]:
    """Private key, public key and certificate templates, in creation order."""
    object_id, public = _public_id(key)
    may_sign, may_decrypt = _usages(cert)
    subject = cert.subject.public_bytes()
    common = {A["TOKEN"]: True, A["LABEL"]: label, A["ID"]: object_id}
    private: dict[int, Any] = {
        **common,
        A["CLASS"]: CKO_PRIVATE_KEY,
        A["PRIVATE"]: True,
        A["SENSITIVE"]: True,
        A["EXTRACTABLE"]: False,
        A["SUBJECT"]: subject,
        A["SIGN"]: may_sign,
        A["DECRYPT"]: may_decrypt,
        A["UNWRAP"]: may_decrypt,
        CKA_NSS_DB: public,
    }
    public_key: dict[int, Any] = {
        **common,
        A["CLASS"]: CKO_PUBLIC_KEY,
        A["PRIVATE"]: False,
        A["SUBJECT"]: subject,
        A["VERIFY"]: may_sign,
        A["ENCRYPT"]: may_decrypt,
        A["WRAP"]: may_decrypt,
    }
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.private_numbers()
        pub = numbers.public_numbers
        private.update(
            {
                A["KEY_TYPE"]: CKK_RSA,
                A["MODULUS"]: _int_bytes(pub.n),
                A["PUBLIC_EXPONENT"]: _int_bytes(pub.e),
                A["PRIVATE_EXPONENT"]: _int_bytes(numbers.d),
                A["PRIME_1"]: _int_bytes(numbers.p),
                A["PRIME_2"]: _int_bytes(numbers.q),
                A["EXPONENT_1"]: _int_bytes(numbers.dmp1),
                A["EXPONENT_2"]: _int_bytes(numbers.dmq1),
                A["COEFFICIENT"]: _int_bytes(numbers.iqmp),
            }
        )
        public_key.update(
            {A["KEY_TYPE"]: CKK_RSA, A["MODULUS"]: _int_bytes(pub.n), A["PUBLIC_EXPONENT"]: _int_bytes(pub.e)}
        )
    else:
        from asn1crypto.keys import ECDomainParameters

        curve_name = {"secp256r1": "secp256r1", "secp384r1": "secp384r1", "secp521r1": "secp521r1"}.get(key.curve.name)
        if curve_name is None:
            raise KeyStoreError(M_("Courbe {curve} non prise en charge.", curve=key.curve.name))
        params = bytes(ECDomainParameters(name="named", value=curve_name).dump())
        size = (key.curve.key_size + 7) // 8
        private.update(
            {
                A["KEY_TYPE"]: CKK_EC,
                A["EC_PARAMS"]: params,
                A["VALUE"]: key.private_numbers().private_value.to_bytes(size, "big"),
            }
        )
        public_key.update({A["KEY_TYPE"]: CKK_EC, A["EC_PARAMS"]: params, A["EC_POINT"]: _der_octet_string(public)})
    return [private, public_key, certificate_template(cert, label, object_id)]


def _mapper() -> Any:
    from pkcs11.attributes import AttributeMapper, handle_bytes

    mapper = AttributeMapper()
    mapper.register_handler(CKA_NSS_DB, *handle_bytes)  # type: ignore[arg-type]
    return mapper


def _ask_password(name: str, pin_callback: PinCallback, retry: bool) -> str:
    password = pin_callback(PinRequest(name, kind="password", retry=retry))
    if password is None:
        raise PinCancelledError(M_("Saisie du mot de passe annulée."))
    return password


def import_p12(
    p12_path: Path | str, store: Pkcs11Store, pin_callback: PinCallback, *, password: str | None = None
) -> ImportResult:
    """Import the key and certificate of `p12_path` into `store` (logged in through `pin_callback`)."""
    path = Path(p12_path)
    data = read_p12_bytes(path)
    if password is None:
        password = _ask_password(path.name, pin_callback, retry=False)
    parsed = parse_p12(data, password, path.name)  # CorruptFileError / WrongPasswordError: store untouched
    del password
    if parsed.cert is None or parsed.key is None:
        raise KeyStoreError(
            M_("Le fichier {name} ne contient pas de certificat avec sa clé privée.", name=path.name),
            code=KeyStoreCode.CORRUPT_FILE,
        )
    key = parsed.key
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyStoreError(M_("Type de clé non pris en charge (RSA ou EC)."))
    cert = parsed.cert.certificate
    friendly = parsed.cert.friendly_name
    label = friendly.decode("utf-8", "replace") if friendly else common_name(cert.subject)
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    templates = key_templates(cert, key, label)
    del key, parsed

    store.login()  # PinIncorrectError / PinLockedError: store untouched
    if any(c.fingerprint_sha256 == fingerprint for c in store.credentials()):
        return ImportResult(store.label, label, fingerprint, already_present=True)
    _create_all(store, templates)
    store.refresh()
    return ImportResult(store.label, label, fingerprint)


def _create_all(store: Pkcs11Store, templates: list[dict[int, Any]]) -> None:
    try:
        with creating_objects(store, attribute_mapper=_mapper()) as (session, created):
            for template in templates:
                if CKA_NSS_DB in template and store.kind.value != "nss":
                    template = {k: v for k, v in template.items() if k != CKA_NSS_DB}
                created.append(session.create_object(template))
    except Exception as exc:
        raise KeyStoreError(
            M_(
                "L'import dans « {label} » a échoué ({name}) ; rien n'a été ajouté.",
                label=store.label,
                name=type(exc).__name__,
            ),
            code=KeyStoreCode.IMPORT_FAILED,
        ) from exc


def open_target_store(
    spec: str, pin_callback: PinCallback, *, settings_modules: list[str] | None = None, allow_module_path: bool = True
) -> Pkcs11Store:
    """The store named by `nss`, `nss:DIR` or a PKCS#11 token URI (the token must be writable)."""
    from assistant.keystores.pkcs11 import nss

    spec = spec.strip()
    if spec.lower() == "nss":
        return nss.open_database(Path.home() / ".pki" / "nssdb", pin_callback, label="NSS (~/.pki/nssdb)", create=True)
    if spec.lower().startswith("nss:"):
        return nss.open_database(spec[4:], pin_callback)
    if not spec.lower().startswith("pkcs11:"):
        raise KeyStoreError(
            M_(
                "Magasin « {spec} » non reconnu : indiquez « nss », « nss:DOSSIER » ou une adresse pkcs11:token=…",
                spec=spec,
            ),
            code=KeyStoreCode.BAD_STORE,
        )
    from assistant.keystores.pkcs11.modules import discover_modules, is_discovered
    from assistant.keystores.pkcs11.tokens import matching_token_stores
    from assistant.keystores.pkcs11.uri import Pkcs11Uri

    uri = Pkcs11Uri.parse(spec)
    paths: list[str]
    if uri.module_path:
        if not allow_module_path and not is_discovered(uri.module_path, settings_modules):
            raise KeyStoreError(
                M_("Ce module PKCS#11 n'a pas été trouvé par l'assistant."),
                code=Code.MODULE_REFUSED,
            )
        paths = [uri.module_path]
    else:
        paths = [m.path for m in discover_modules(settings_modules)]
    candidates, first_error = matching_token_stores(uri, paths, pin_callback)
    if len(candidates) != 1:
        for store in candidates:
            store.close()
        if not candidates and first_error is not None and uri.module_path:
            raise first_error
        raise KeyStoreError(
            M_("Aucune carte ne correspond à {uri}.", uri=uri.without_module())
            if not candidates
            else M_("Plus d’une carte correspond à {uri}.", uri=uri.without_module()),
            code="token_absent" if not candidates else "token_ambiguous",
        )
    store = candidates[0]
    if store.token_info.flags & 0x2:  # CKF_WRITE_PROTECTED
        store.close()
        raise KeyStoreError(
            M_("« {label} » est protégée en écriture : l'import est impossible.", label=store.label),
            code=KeyStoreCode.WRITE_PROTECTED,
        )
    return store
