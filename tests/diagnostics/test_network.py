"""The platform reachability checks against real local servers: each failure names its layer and remedy."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest

from assistant.diagnostics import Status
from assistant.diagnostics.network import check_platform
from tests import pki
from tests.diagnostics.servers import Behaviour, https_server, server_certificate


def _by_id(results: list) -> dict:  # type: ignore[type-arg]
    return {r.id: r for r in results}


@pytest.fixture
def trust_test_ca(test_pki: pki.TestPki, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workstation trusts the test CA (as it would trust a public CA), through OpenSSL's SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(test_pki.ca_bundle))
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def valid_cert(tmp_path: Path, test_pki: pki.TestPki) -> tuple[Path, Path]:
    now = dt.datetime.now(dt.UTC)
    return server_certificate(
        tmp_path / "tls",
        test_pki.ca,
        "valid",
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=200),
    )


@pytest.fixture
def expired_cert(tmp_path: Path, test_pki: pki.TestPki) -> tuple[Path, Path]:
    now = dt.datetime.now(dt.UTC)
    return server_certificate(
        tmp_path / "tls",
        test_pki.ca,
        "expired",
        not_before=now - dt.timedelta(days=400),
        not_after=now - dt.timedelta(days=3),
    )


def test_valid_platform_all_green(trust_test_ca: None, valid_cert: tuple[Path, Path]) -> None:
    with https_server(valid_cert) as server:
        results = _by_id(check_platform(server.url))
    assert [r.status for r in results.values()] == [Status.OK] * 6, [
        (r.id, r.value, r.message) for r in results.values()
    ]
    assert results["net_proxy"].value == "Connexion directe"
    assert results["net_tcp"].value.startswith(f"Port {server.port} joignable")
    assert results["net_tls"].value.startswith("Certificat valide jusqu'au ")
    assert "AMP Test Qualified CA" in results["net_tls"].message
    assert results["net_http"].value == "Communication établie"
    assert results["net_clock"].value == "À l'heure"


def test_expired_certificate_is_an_error_with_remedy(trust_test_ca: None, expired_cert: tuple[Path, Path]) -> None:
    with https_server(expired_cert) as server:
        results = _by_id(check_platform(server.url))
    tls = results["net_tls"]
    assert tls.status is Status.ERROR
    assert tls.value == "Certificat expiré"
    expected_day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).astimezone().strftime("%d/%m/%Y")
    assert f"a expiré le {expected_day}" in tls.message
    assert "date et l'heure de votre poste" in tls.remedy
    # The server is still reached (unverified, only to read status and clock): the user learns it is up.
    assert results["net_http"].status is Status.WARNING
    assert results["net_clock"].status is Status.OK


def test_untrusted_certificate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, valid_cert: tuple[Path, Path], test_pki: pki.TestPki
) -> None:
    # The workstation trusts only an unrelated CA: the platform's certificate is not recognised.
    other = pki.issue("other-root", "Autre Autorité", None, ca=True)
    bundle = tmp_path / "other.pem"
    bundle.write_bytes(other.cert_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with https_server(valid_cert) as server:
        tls = _by_id(check_platform(server.url))["net_tls"]
    assert tls.status is Status.ERROR
    assert tls.value == "Certificat non reconnu"
    assert "AMP Test Qualified CA" in tls.message
    assert "autorité de certification" in tls.remedy


def test_closed_port_is_refused_and_later_steps_not_checked(trust_test_ca: None) -> None:
    with socket.socket() as sock:  # reserve then release an ephemeral port: nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    results = _by_id(check_platform(f"https://127.0.0.1:{port}/"))
    assert results["net_dns"].status is Status.OK
    assert results["net_tcp"].status is Status.ERROR
    assert results["net_tcp"].value == "Connexion refusée"
    assert "pare-feu" in results["net_tcp"].remedy
    for later in ("net_tls", "net_http", "net_clock"):
        assert results[later].status is Status.SKIPPED
        assert results[later].value == "Non vérifié"


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (dt.timedelta(hours=2), Status.ERROR),
        (dt.timedelta(minutes=-3), Status.WARNING),
        (dt.timedelta(seconds=5), Status.OK),
    ],
)
def test_clock_skew_from_date_header(
    trust_test_ca: None, valid_cert: tuple[Path, Path], offset: dt.timedelta, status: Status
) -> None:
    with https_server(valid_cert, Behaviour(clock_offset=offset)) as server:
        clock = _by_id(check_platform(server.url))["net_clock"]
    assert clock.status is status, clock
    if status is Status.ERROR:
        # The server is 2 h ahead: the workstation is 2 h behind.
        assert clock.message == "L'horloge du poste est en retard de 2 h sur celle du serveur."
        assert "synchronisation automatique" in clock.remedy
    if status is Status.WARNING:
        assert "en avance de 3 min" in clock.message


def test_missing_date_header_is_not_checked(trust_test_ca: None, valid_cert: tuple[Path, Path]) -> None:
    with https_server(valid_cert, Behaviour(send_date=False)) as server:
        clock = _by_id(check_platform(server.url))["net_clock"]
    assert clock.status is Status.SKIPPED
    assert "en-tête Date" in clock.message


def test_server_error_status(trust_test_ca: None, valid_cert: tuple[Path, Path]) -> None:
    with https_server(valid_cert, Behaviour(status=503)) as server:
        http = _by_id(check_platform(server.url))["net_http"]
    assert http.status is Status.ERROR
    assert http.value == "Serveur en erreur (HTTP 503)"
    assert "support de la plateforme" in http.remedy


def test_unknown_host_and_invalid_url() -> None:
    dns = _by_id(check_platform("https://plateforme.invalid/"))["net_dns"]
    assert dns.status is Status.ERROR
    assert dns.value == "Nom introuvable"
    bad = check_platform("ftp://example")
    assert len(bad) == 1 and bad[0].status is Status.ERROR and bad[0].value == "Adresse invalide"


def test_proxy_from_environment_is_used_and_credentials_hidden(
    monkeypatch: pytest.MonkeyPatch, trust_test_ca: None
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://jean:motdepasse@127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "")
    results = _by_id(check_platform("https://marches.example.fr/"))
    assert results["net_proxy"].value == f"Proxy 127.0.0.1:{port}"
    assert "motdepasse" not in repr(results)
    # The proxy (not the platform) is what the workstation connects to; here it is down.
    assert results["net_tcp"].status is Status.ERROR
    assert f"le proxy 127.0.0.1:{port}" in results["net_tcp"].message


def test_the_platform_cas_of_the_settings_are_trusted_like_the_downloads_trust_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, valid_cert: tuple[Path, Path], test_pki: pki.TestPki
) -> None:
    """An enterprise CA (or a TLS-inspecting proxy's) added in `platform_ca_files` is added to the
    system's roots for the check too: the test agrees with what the downloads accept."""
    other = pki.issue("other-root-2", "Autre Autorité", None, ca=True)
    system = tmp_path / "system.pem"
    system.write_bytes(other.cert_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(system))  # the workstation's roots know nothing of the platform's CA
    with https_server(valid_cert) as server:
        refused = _by_id(check_platform(server.url))
        trusted = _by_id(check_platform(server.url, extra_ca_files=[str(test_pki.ca_bundle)]))
        broken = _by_id(check_platform(server.url, extra_ca_files=[str(tmp_path / "absent.pem")]))
    assert refused["net_tls"].value == "Certificat non reconnu"
    assert "platform_ca_files" in refused["net_tls"].remedy
    assert [r.status for r in trusted.values()] == [Status.OK] * 6, [(r.id, r.value) for r in trusted.values()]
    assert broken["net_tls"].status is Status.ERROR
    assert broken["net_tls"].value == "Autorité de certification inutilisable"
    assert "platform_ca_files" in broken["net_tls"].message
    assert broken["net_http"].status is Status.SKIPPED
