"""The bridge's own certificate authority, made on this machine for this installation alone.

Browsers only call https://127.0.0.1 without warnings if they trust its certificate. Shipping a
CA (or a key) inside the package would hand every user's bridge identity to anyone who unpacks it,
so the assistant makes a CA on first run, issues the localhost certificate with it, and then lets
the CA private key go: it is generated in memory, never written to disk, and dropped as soon as the
certificate is signed. Nothing can ever be issued by that CA again; renewal makes a new CA (and the
trust stores are updated with the new one).

The CA also carries X.509 name constraints (DNS `localhost`, IP 127.0.0.1/32 and ::1/128): even
a copy of its key could not vouch for any real site. Browsers (NSS, Chrome, macOS, Windows) honour
those constraints on locally added roots.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from assistant import APP_NAME, paths
from assistant.files import write_atomic, write_json_atomic
from assistant.i18n import _

#: The CA and the localhost certificate live this long; renewal starts RENEW_BEFORE earlier.
VALIDITY = dt.timedelta(days=825)
RENEW_BEFORE = dt.timedelta(days=30)
LOOPBACK_NAMES = ("localhost",)
LOOPBACK_ADDRESSES = ("127.0.0.1", "::1")

CA_FILE = "ca.pem"
CERT_FILE = "localhost.pem"
KEY_FILE = "localhost-key.pem"
META_FILE = "ca.json"


@dataclass(frozen=True)
class BridgeIdentity:
    """Where the bridge's public CA, its certificate chain and its TLS key are."""

    directory: Path
    ca_path: Path
    cert_path: Path
    key_path: Path
    ca_fingerprint_sha256: str
    not_after: dt.datetime

    @property
    def nickname(self) -> str:
        """The name under which the CA is added to trust stores; unique per CA (renewal = new name)."""
        return f"Assistant Marches Publics - pont local {self.ca_fingerprint_sha256[:16]}"

    @property
    def ca_fingerprint_sha1(self) -> str:
        """macOS' `security delete-certificate -Z` and Windows' stores name certificates by SHA-1."""
        return self.ca_certificate().fingerprint(hashes.SHA1()).hex()  # noqa: S303 - an identifier, not a signature

    @property
    def ca_serial_hex(self) -> str:
        return format(self.ca_certificate().serial_number, "x")

    def ca_certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.ca_path.read_bytes())


def identity_dir() -> Path:
    directory = paths.data_dir() / "bridge"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _loopback_constraints() -> x509.NameConstraints:
    permitted: list[x509.GeneralName] = [x509.DNSName(name) for name in LOOPBACK_NAMES]
    permitted.append(x509.IPAddress(ipaddress.ip_network("127.0.0.1/32")))
    permitted.append(x509.IPAddress(ipaddress.ip_network("::1/128")))
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def issue_loopback_pair(
    ca_name: x509.Name, server_common_name: str, not_before: dt.datetime, not_after: dt.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A CA name-constrained to the loopback names, and the server certificate it signs for them.

    Returns (CA certificate, server key, server certificate). The CA key exists only inside this
    call: it signs the two certificates and is dropped, never serialised, so nothing can ever be
    issued by this CA again, and even a copy of its certificate vouches for nothing but
    localhost/127.0.0.1/::1. Used by the bridge and by the demo platform's HTTPS.
    """
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(_loopback_constraints(), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    san: list[x509.GeneralName] = [x509.DNSName(name) for name in LOOPBACK_NAMES]
    san += [x509.IPAddress(ipaddress.ip_address(a)) for a in LOOPBACK_ADDRESSES]
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_common_name)]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    del ca_key  # never serialised
    return ca_cert, leaf_key, leaf_cert


def issue(directory: Path | None = None, *, now: dt.datetime | None = None) -> BridgeIdentity:
    """Make a fresh CA, issue the localhost certificate, forget the CA key, write the public parts.

    Always a new CA: called on first run and on renewal. The previous files are replaced only once
    the new ones are complete.
    """
    directory = directory or identity_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = now or _now()
    not_before = now - dt.timedelta(minutes=5)
    not_after = now + VALIDITY
    install = os.urandom(4).hex()
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, APP_NAME),
            x509.NameAttribute(
                NameOID.ORGANIZATIONAL_UNIT_NAME, _("Poste {host}").format(host=socket.gethostname()[:40] or "local")
            ),
            x509.NameAttribute(NameOID.COMMON_NAME, _("Autorité locale du pont {install}").format(install=install)),
        ]
    )
    ca_cert, leaf_key, leaf_cert = issue_loopback_pair(ca_name, "localhost", not_before, not_after)

    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    chain_pem = leaf_cert.public_bytes(serialization.Encoding.PEM) + ca_pem
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fingerprint = _fingerprint(ca_cert)
    write_atomic(directory / KEY_FILE, key_pem, mode=0o600)
    write_atomic(directory / CERT_FILE, chain_pem, mode=0o644)
    write_atomic(directory / CA_FILE, ca_pem, mode=0o644)
    meta = {"ca_fingerprint_sha256": fingerprint, "not_after": not_after.isoformat(), "issued_at": now.isoformat()}
    write_json_atomic(directory / META_FILE, meta, indent=2, mode=0o644)
    return BridgeIdentity(
        directory=directory,
        ca_path=directory / CA_FILE,
        cert_path=directory / CERT_FILE,
        key_path=directory / KEY_FILE,
        ca_fingerprint_sha256=fingerprint,
        not_after=not_after,
    )


def load(directory: Path | None = None) -> BridgeIdentity | None:
    """The current identity, or None when absent or damaged (then `ensure` issues a new one)."""
    directory = directory or identity_dir()
    try:
        ca_cert = x509.load_pem_x509_certificate((directory / CA_FILE).read_bytes())
        chain = x509.load_pem_x509_certificates((directory / CERT_FILE).read_bytes())
        key = serialization.load_pem_private_key((directory / KEY_FILE).read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if not chain or chain[0].public_key().public_bytes(der, spki) != key.public_key().public_bytes(der, spki):
        return None
    leaf = chain[0]
    if leaf.issuer != ca_cert.subject:
        return None
    try:
        leaf.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return None
    return BridgeIdentity(
        directory=directory,
        ca_path=directory / CA_FILE,
        cert_path=directory / CERT_FILE,
        key_path=directory / KEY_FILE,
        ca_fingerprint_sha256=_fingerprint(ca_cert),
        not_after=min(leaf.not_valid_after_utc, ca_cert.not_valid_after_utc),
    )


def needs_renewal(identity: BridgeIdentity, *, now: dt.datetime | None = None) -> bool:
    return (now or _now()) >= identity.not_after - RENEW_BEFORE


def ensure(directory: Path | None = None, *, now: dt.datetime | None = None) -> tuple[BridgeIdentity, bool]:
    """The identity to serve with: the existing one, or a new CA when missing, damaged or near expiry.

    Returns (identity, renewed): when renewed is True, the caller re-runs the trust step (the
    browsers must learn the new CA, and forget the old one).
    """
    current = load(directory)
    if current is not None and not needs_renewal(current, now=now):
        return current, False
    return issue(directory, now=now), True
