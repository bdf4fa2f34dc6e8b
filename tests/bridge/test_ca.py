"""The installation's own CA: judged by OpenSSL, its private key never on disk, renewal = new CA."""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
from pathlib import Path

from cryptography import x509

from assistant.bridge import ca
from tests.pki import require_tool


def _openssl_verify(identity: ca.BridgeIdentity, *extra: str) -> subprocess.CompletedProcess[str]:
    leaf = identity.directory / "leaf-only.pem"
    leaf.write_bytes(
        identity.cert_path.read_bytes().split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    )
    return subprocess.run(
        [
            require_tool("openssl"),
            "verify",
            "-CAfile",
            str(identity.ca_path),
            "-purpose",
            "sslserver",
            *extra,
            str(leaf),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_localhost_certificate_is_valid_for_loopback_only(tmp_path: Path) -> None:
    identity = ca.issue(tmp_path)
    for check in (["-verify_ip", "127.0.0.1"], ["-verify_ip", "::1"], ["-verify_hostname", "localhost"]):
        result = _openssl_verify(identity, *check)
        assert result.returncode == 0, result.stderr
    for wrong in (["-verify_hostname", "marches.example.fr"], ["-verify_ip", "192.168.1.10"]):
        assert _openssl_verify(identity, *wrong).returncode != 0
    leaf = x509.load_pem_x509_certificates(identity.cert_path.read_bytes())[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"localhost"}
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }


def test_ca_is_name_constrained_to_loopback(tmp_path: Path) -> None:
    identity = ca.issue(tmp_path)
    constraints = identity.ca_certificate().extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    permitted = constraints.value.permitted_subtrees or []
    assert {str(n.value) for n in permitted} == {"localhost", "127.0.0.1/32", "::1/128"}
    basic = identity.ca_certificate().extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca and basic.path_length == 0


def test_ca_private_key_is_never_written(tmp_path: Path) -> None:
    identity = ca.issue(tmp_path / "bridge")
    keys = [p for p in (tmp_path / "bridge").iterdir() if b"PRIVATE KEY" in p.read_bytes()]
    assert keys == [identity.key_path]  # only the localhost key
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(identity.key_path.read_bytes(), password=None)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    leaf = x509.load_pem_x509_certificates(identity.cert_path.read_bytes())[0]
    assert key.public_key().public_bytes(der, spki) == leaf.public_key().public_bytes(der, spki)
    assert key.public_key().public_bytes(der, spki) != identity.ca_certificate().public_key().public_bytes(der, spki)
    assert identity.key_path.stat().st_mode & 0o077 == 0


def test_each_installation_gets_its_own_ca_and_renewal_makes_a_new_one(tmp_path: Path) -> None:
    first, renewed = ca.ensure(tmp_path / "a")
    assert renewed
    again, renewed_again = ca.ensure(tmp_path / "a")
    assert not renewed_again and again.ca_fingerprint_sha256 == first.ca_fingerprint_sha256
    other = ca.issue(tmp_path / "b")
    assert other.ca_fingerprint_sha256 != first.ca_fingerprint_sha256
    later = dt.datetime.now(dt.UTC) + ca.VALIDITY - dt.timedelta(days=10)
    assert ca.needs_renewal(first, now=later)
    fresh, renewed = ca.ensure(tmp_path / "a", now=later)
    assert renewed and fresh.ca_fingerprint_sha256 != first.ca_fingerprint_sha256
    assert fresh.nickname != first.nickname


def test_damaged_identity_is_replaced(tmp_path: Path) -> None:
    first = ca.issue(tmp_path)
    first.key_path.write_text("garbage")
    assert ca.load(tmp_path) is None
    fresh, renewed = ca.ensure(tmp_path)
    assert renewed and fresh.ca_fingerprint_sha256 != first.ca_fingerprint_sha256
    # A certificate that does not match the CA is refused too.
    other = ca.issue(tmp_path / "other")
    fresh.ca_path.write_bytes(other.ca_path.read_bytes())
    assert ca.load(tmp_path) is None
