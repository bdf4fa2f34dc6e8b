"""Chain building from a pool of certificates (a token's or an NSS database's CA objects)."""

from __future__ import annotations

from assistant.signing.chain import build_chain
from tests import pki


def test_build_chain_in_any_order_and_ignores_strangers(test_pki: pki.TestPki) -> None:
    stranger = pki.issue("x", "AMP Test Qualified CA", None, ca=True)  # same name, other key
    pool = [test_pki.root.certificate, stranger.certificate, test_pki.signer_ec.certificate, test_pki.ca.certificate]
    chain = build_chain(test_pki.signer.certificate, pool)
    assert chain == [test_pki.ca.certificate, test_pki.root.certificate]
    assert build_chain(test_pki.signer.certificate, [stranger.certificate]) == []
    assert build_chain(test_pki.root.certificate, pool) == []
