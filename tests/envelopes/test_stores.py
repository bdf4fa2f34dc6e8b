"""The same OpenSSL envelopes open with the bi-clé on the SoftHSM2 token and in the NSS database.

The key is resolved exactly as `assistant decrypt --key` does it (selection.resolve_key for the
token's PKCS#11 URI; the NSS database opened as a softoken slot), so the RSA operation runs in
the store (C_Decrypt) and only the content key comes back.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.envelopes.decrypt import decrypt_envelope
from assistant.keystores.base import Credential, PinRequest, StoreKind
from assistant.keystores.pkcs11.backend import Pkcs11Credential
from assistant.keystores.selection import release, resolve_key
from tests import pki as pki_mod
from tests.envelopes.conftest import Recipients
from tests.envelopes.helpers import CIPHERS, EXPECTED_NAME, EXPECTED_TRANSPORT, PADDINGS, openssl_encrypt, sample_data


@pytest.fixture
def token_credential(softhsm_token: pki_mod.SoftHsmToken) -> Iterator[Credential]:
    asked: list[PinRequest] = []

    def pin(request: PinRequest) -> str:
        asked.append(request)
        return softhsm_token.pin

    cred = resolve_key(softhsm_token.uri("encryption"), pin)
    assert isinstance(cred, Pkcs11Credential) and cred.store.kind is StoreKind.PKCS11
    yield cred
    release(cred)
    assert len(asked) <= 1  # one PIN for the whole batch


@pytest.fixture
def nss_credential(nss_db: pki_mod.NssDb, test_pki: pki_mod.TestPki) -> Iterator[Credential]:
    from assistant.keystores.pkcs11.nss import open_database

    store = open_database(nss_db.directory, lambda r: nss_db.password)
    (cred,) = [c for c in store.credentials() if c.fingerprint_sha256 == test_pki.encryption.fingerprint]
    assert cred.store.kind is StoreKind.NSS
    yield cred
    store.close()


COMBOS = list(itertools.product(CIPHERS, PADDINGS))


def _roundtrip_all(credential: Credential, recipients: Recipients, folder: Path) -> None:
    data = sample_data(40_000)
    (folder / "plain").write_bytes(data)
    for index, (cipher, padding) in enumerate(COMBOS):
        count = 1 + index % 5
        env = openssl_encrypt(
            folder / "plain",
            folder / f"env{index}",
            recipients.certs(count, ours_at=index % count),
            cipher=cipher,
            padding=padding,
            stream=bool(index % 2),
            form=("DER", "PEM", "SMIME")[index % 3],
        )
        result = decrypt_envelope(env, [credential], folder / f"out{index}")
        assert (folder / f"out{index}").read_bytes() == data, (cipher, padding)
        assert result.algorithm == EXPECTED_NAME[cipher]
        assert result.key_transport == EXPECTED_TRANSPORT[padding]


def test_softhsm_token(token_credential: Credential, recipients: Recipients, tmp_path: Path) -> None:
    _roundtrip_all(token_credential, recipients, tmp_path)


def test_nss_database(nss_credential: Credential, recipients: Recipients, tmp_path: Path) -> None:
    _roundtrip_all(nss_credential, recipients, tmp_path)


def test_several_stores_offered_the_right_one_is_used(
    token_credential: Credential,
    nss_credential: Credential,
    test_pki: pki_mod.TestPki,
    recipients: Recipients,
    tmp_path: Path,
) -> None:
    """Keys from every store are offered (the signer's first): the envelope's recipient is found."""
    from assistant.keystores.pkcs12 import Pkcs12Store

    signer = Pkcs12Store(test_pki.signer.files["p12"], lambda r: pki_mod.P12_PASSWORD).credentials()
    (tmp_path / "plain").write_bytes(b"offre de prix")
    env = openssl_encrypt(
        tmp_path / "plain", tmp_path / "env", recipients.certs(5), cipher="aes-256-gcm", padding="oaep-sha256"
    )
    result = decrypt_envelope(env, [*signer, token_credential, nss_credential], tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == b"offre de prix"
    assert result.recipient_fingerprint == test_pki.encryption.fingerprint
