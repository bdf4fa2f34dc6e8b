"""Demo key material, created on first start under the demo platform's own data folder.

A demo buyer's bi-clé (RSA 2048, self-signed "Clé de déchiffrement de …" certificate, as the
original assistant makes them) for which the demo plis are encrypted, and a small demo CA with a
signing certificate, so that `make run` can show signing and opening without a card. This is
demo material only: it is generated per install, never shipped, and lives next to the demo data.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: Password of the demo PKCS#12 files (demo material, printed on the demo page on purpose).
DEMO_P12_PASSWORD = "demo"  # noqa: S105 - demo material, not a secret


@dataclass(frozen=True)
class DemoMaterial:
    folder: Path

    @property
    def bicle_cert(self) -> Path:
        return self.folder / "bicle-demo.pem"

    @property
    def bicle_key(self) -> Path:
        return self.folder / "bicle-demo.key.pem"

    @property
    def bicle_p12(self) -> Path:
        return self.folder / "bicle-demo.p12"

    @property
    def signer_p12(self) -> Path:
        return self.folder / "signataire-demo.p12"

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ac-demo.pem"


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Plateforme de démonstration"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def ensure_material(folder: Path) -> DemoMaterial:
    material = DemoMaterial(folder)
    if material.bicle_p12.exists() and material.signer_p12.exists() and material.bicle_cert.exists():
        return material
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    p12_enc = serialization.BestAvailableEncryption(DEMO_P12_PASSWORD.encode())

    # The bi-clé: self-signed, keyEncipherment, as platforms' buyers create them.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name("Clé de déchiffrement de Démo Acheteur")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, True, True, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    material.bicle_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_private(
        material.bicle_key,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    from cryptography.hazmat.primitives.serialization import pkcs12

    _write_private(material.bicle_p12, pkcs12.serialize_key_and_certificates(b"bicle-demo", key, cert, None, p12_enc))

    # A demo CA and a signer (nonRepudiation), to sign files in the demo.
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("AC de démonstration (non qualifiée)")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=5 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    material.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    signer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name("Démo Signataire"))
        .issuer_name(ca_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=2 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(
        material.signer_p12,
        pkcs12.serialize_key_and_certificates(b"signataire-demo", signer_key, signer, [ca], p12_enc),
    )
    return material
