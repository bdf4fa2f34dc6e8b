"""Envelopes made by `openssl cms -encrypt` / `openssl smime -encrypt` decrypt to the exact bytes.

Every content algorithm, key transport, encoding (DER, PEM, S/MIME), length form (definite and
`-stream` indefinite) and one to five recipients, with the bi-clé in a .p12 file; the same
envelopes with the bi-clé on the SoftHSM2 token and in the NSS database are in test_stores.py.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from assistant.envelopes.decrypt import decrypt_envelope
from assistant.keystores.base import Credential
from tests.envelopes.conftest import Recipients
from tests.envelopes.helpers import (
    CIPHERS,
    EXPECTED_NAME,
    EXPECTED_TRANSPORT,
    PADDINGS,
    openssl_encrypt,
    sample_data,
)


@pytest.mark.parametrize(("cipher", "padding"), list(itertools.product(CIPHERS, PADDINGS)))
def test_every_algorithm_and_key_transport(
    cipher: str, padding: str, recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path
) -> None:
    data = sample_data()
    (tmp_path / "offre.zip").write_bytes(data)
    for form, stream in (("DER", False), ("DER", True), ("PEM", True), ("SMIME", False)):
        env = openssl_encrypt(
            tmp_path / "offre.zip",
            tmp_path / f"env-{form}-{stream}.p7m",
            recipients.certs(1),
            cipher=cipher,
            padding=padding,
            form=form,
            stream=stream,
        )
        out = tmp_path / f"out-{form}-{stream}"
        result = decrypt_envelope(env, p12_credentials, out)
        assert out.read_bytes() == data
        assert result.algorithm == EXPECTED_NAME[cipher]
        assert result.key_transport == EXPECTED_TRANSPORT[padding]
        assert result.content_type == ("auth_enveloped" if "gcm" in cipher else "enveloped")
        assert result.form == {"DER": "DER", "PEM": "PEM", "SMIME": "S/MIME"}[form]
        assert result.recipient_fingerprint == recipients.ours.fingerprint
        assert result.size == len(data)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("stream", [False, True])
def test_one_to_five_recipients_ours_anywhere(
    count: int, stream: bool, recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path
) -> None:
    data = sample_data(123_457)
    (tmp_path / "plain").write_bytes(data)
    for position in range(count):
        env = openssl_encrypt(
            tmp_path / "plain",
            tmp_path / f"env{position}",
            recipients.certs(count, ours_at=position),
            cipher="aes-256-gcm" if position % 2 else "aes-256-cbc",
            padding="oaep-sha256",
            stream=stream,
        )
        out = tmp_path / f"out{position}"
        decrypt_envelope(env, p12_credentials, out)
        assert out.read_bytes() == data


def test_openssl_smime_command(recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path) -> None:
    """`openssl smime -encrypt` (the older command, S/MIME output by default, PEM and DER too)."""
    data = sample_data(4000)
    (tmp_path / "plain").write_bytes(data)
    for cipher in ("aes-256-cbc", "des-ede3-cbc"):
        for form in ("SMIME", "PEM", "DER"):
            env = openssl_encrypt(
                tmp_path / "plain",
                tmp_path / f"env-{cipher}-{form}",
                recipients.certs(3),
                cipher=cipher,
                form=form,
                tool="smime",
            )
            out = tmp_path / f"out-{cipher}-{form}"
            decrypt_envelope(env, p12_credentials, out)
            assert out.read_bytes() == data


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 4095, 4096, 4097, 1 << 20])
def test_edge_sizes(size: int, recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path) -> None:
    data = sample_data(size)[:size]
    (tmp_path / "plain").write_bytes(data)
    for cipher, stream in (("aes-128-cbc", True), ("aes-128-gcm", True), ("des-ede3-cbc", False)):
        if size == 0 and cipher == "aes-128-gcm":
            continue  # OpenSSL 3.0 fails to write an empty streamed GCM envelope ("Error writing CMS output")
        env = openssl_encrypt(
            tmp_path / "plain", tmp_path / f"env-{cipher}", recipients.certs(2), cipher=cipher, stream=stream
        )
        out = tmp_path / f"out-{cipher}"
        decrypt_envelope(env, p12_credentials, out)
        assert out.read_bytes() == data


def test_output_is_private_and_never_overwrites(
    recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path
) -> None:
    from assistant.errors import OutputError

    work = tmp_path / "work"
    work.mkdir()
    (work / "plain").write_bytes(b"secret bid")
    env = openssl_encrypt(work / "plain", work / "env", recipients.certs(1))
    out = work / "out.bin"
    decrypt_envelope(env, p12_credentials, out)
    assert out.stat().st_mode & 0o077 == 0
    out.write_bytes(b"the user's own file")
    with pytest.raises(OutputError) as info:
        decrypt_envelope(env, p12_credentials, out)
    assert "existe déjà" in info.value.message_fr
    assert out.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in work.iterdir()) == ["env", "out.bin", "plain"]
