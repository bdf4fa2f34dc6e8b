"""The small helpers that replaced the twins: certificate names, atomic writes, the loopback test
and sizes in words. Each had copies that disagreed; these tests pin the one answer."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from assistant.files import write_atomic, write_json_atomic
from assistant.hosts import is_loopback_host, is_loopback_url
from assistant.keystores.names import attribute, common_name
from assistant.units import format_size


def _name(*pairs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


def test_common_name_falls_back_to_the_organisation_then_the_whole_subject() -> None:
    assert (
        common_name(_name((NameOID.ORGANIZATION_NAME, "ACME"), (NameOID.COMMON_NAME, "Jeanne Martin")))
        == "Jeanne Martin"
    )
    assert common_name(_name((NameOID.COUNTRY_NAME, "FR"), (NameOID.ORGANIZATION_NAME, "ACME SA"))) == "ACME SA"
    assert common_name(_name((NameOID.ORGANIZATIONAL_UNIT_NAME, "Achats"))) == "Achats"
    assert common_name(_name((NameOID.COUNTRY_NAME, "FR"))) == "C=FR"
    assert attribute(_name((NameOID.COUNTRY_NAME, "FR")), NameOID.COMMON_NAME) == ""


def test_common_name_of_a_real_certificate() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name((NameOID.COMMON_NAME, "Élodie Dupont"), (NameOID.ORGANIZATION_NAME, "Mairie"))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(_name((NameOID.ORGANIZATION_NAME, "AC Test")))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    assert common_name(cert.subject) == "Élodie Dupont" and common_name(cert.issuer) == "AC Test"


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    folder = tmp_path / "dossier"
    folder.mkdir()
    target = folder / "réglages.json"
    write_json_atomic(target, {"nom": "é", "n": 1}, indent=2)
    assert json.loads(target.read_text(encoding="utf-8")) == {"nom": "é", "n": 1}
    assert "é" in target.read_text(encoding="utf-8")  # UTF-8, not \\u escapes
    write_atomic(target, b"secret", mode=0o600, durable=True)
    assert target.read_bytes() == b"secret"
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(TypeError):
        write_json_atomic(target, {"bad": object()})
    assert target.read_bytes() == b"secret"  # the failed write left the old content
    assert sorted(p.name for p in folder.iterdir()) == ["réglages.json"]  # and no temporary file


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LocalHost.", True),
        ("127.example.net", False),  # a DNS name that only starts like a loopback address
        ("localhost.example.net", False),
        ("10.0.0.1", False),
        ("example.fr", False),
        ("", False),
    ],
)
def test_loopback_is_an_ip_literal_or_localhost(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_loopback_urls() -> None:
    assert is_loopback_url("http://127.0.0.1:8080/a")
    assert is_loopback_url("https://[::1]:17443/v1/status")
    assert not is_loopback_url("https://127.attacker.example/x")
    assert not is_loopback_url("http://[::1")  # unparsable
    assert not is_loopback_url("file:///etc/passwd")


@pytest.mark.parametrize(
    ("size", "fr", "en"),
    [
        (0, "0 o", "0 B"),
        (512, "512 o", "512 B"),
        (1024, "1 Ko", "1 KB"),
        (763_494, "745,6 Ko", "745.6 KB"),
        (3_000_000, "2,9 Mo", "2.9 MB"),
        (2 * 1024**3, "2 Go", "2 GB"),
        (5 * 1024**5, "5120 To", "5120 TB"),
    ],
)
def test_sizes_in_words(size: int, fr: str, en: str) -> None:
    assert format_size(size) == fr
    assert format_size(size, "en") == en
