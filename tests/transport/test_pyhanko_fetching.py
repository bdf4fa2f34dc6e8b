"""pyHanko's CRL fetches go through the one transport: a CRL moved within its server is fetched,
one redirected to another host is not (that host sees no connection)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko_certvalidator import errors as pyhanko_errors

from assistant.signing.pyhanko_fetchers import fetcher_backend
from tests import pki
from tests.transport.test_redirects import _Handler, _Server


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    platform, other = _Server("127.0.0.1", _Handler), _Server("127.0.0.2", _Handler)
    yield platform, other
    platform.close()
    other.close()


def _crl(issuer: pki.Issued) -> bytes:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=1))
    )
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]


def _fetch_crls(cert: pki.Issued) -> list[asn1_x509.Certificate]:
    crl_fetcher = fetcher_backend().get_fetchers().crl_fetcher
    return list(asyncio.run(crl_fetcher.fetch(asn1_x509.Certificate.load(cert.cert_der), use_deltas=False)))


def test_a_crl_is_fetched_through_the_transport_and_redirects_stay_on_its_server(
    servers: tuple[_Server, _Server],
) -> None:
    platform, other = servers
    root = pki.issue("root", "Racine de test", None, ca=True)
    platform.redirects["/crl/"] = (302, platform.url + "/deplacee")
    platform.routes["/deplacee/crl/racine.crl"] = (200, "application/pkix-crl", _crl(root))
    moved = pki.issue("leaf", "Signataire", root, crl_url=platform.url + "/crl/racine.crl")

    [crl] = _fetch_crls(moved)

    assert crl.issuer.native["common_name"] == "Racine de test"
    assert [p for _m, p, _h, _b in platform.requests] == ["/crl/racine.crl", "/deplacee/crl/racine.crl"]

    platform.redirects["/ailleurs/"] = (307, other.url)
    away = pki.issue("leaf2", "Signataire 2", root, crl_url=platform.url + "/ailleurs/racine.crl")
    try:
        fetched = _fetch_crls(away)
    except pyhanko_errors.CRLFetchError:
        fetched = []
    assert fetched == []
    assert other.connections == 0 and other.requests == []
