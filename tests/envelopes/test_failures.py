"""Bad envelopes get a clear French error, leave no output and never touch the envelope.

Wrong key, truncated download, flipped bytes (header, content, GCM tag), algorithms we refuse,
files that are not envelopes. Each case checks the error code (what the job engine acts on), the
French message (what the user reads), the untouched envelope and the empty output folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.envelopes import errors as env_errors
from assistant.envelopes.decrypt import decrypt_envelope
from assistant.errors import AssistantError
from assistant.keystores.base import Credential
from tests import pki as pki_mod
from tests.envelopes.conftest import Recipients
from tests.envelopes.helpers import Snapshot, make_zip, openssl_encrypt, sample_data


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    return src, out


def expect_failure(
    envelope: Path, credentials: list[Credential], out_dir: Path, error: type[AssistantError]
) -> AssistantError:
    snapshot = Snapshot.take(envelope, out_dir)
    with pytest.raises(error) as info:
        decrypt_envelope(envelope, credentials, out_dir / "offre.zip")
    snapshot.assert_unchanged(out_dir)
    message = info.value.message_fr
    assert message and message[0].isupper() and message.rstrip().endswith((".", ")")), message
    assert info.value.message_en != message  # a real translation, not the French text twice
    return info.value


def flip(path: Path, offset: int, mask: int = 0xFF) -> Path:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    flipped = path.with_name(path.name + f".flip{offset}")
    flipped.write_bytes(bytes(data))
    return flipped


# -- wrong key ----------------------------------------------------------------------------------


def test_wrong_key_names_the_certificates_the_envelope_needs(
    recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    src, out = dirs
    (src / "plain").write_bytes(b"offre")
    others = [o.files["cert"] for o in recipients.others[:2]]
    env = openssl_encrypt(src / "plain", src / "env.p7m", others)
    err = expect_failure(env, p12_credentials, out, env_errors.NoMatchingKeyError)
    assert err.code == "envelope_no_key"
    assert err.message_fr.startswith("Aucune de vos clés ne permet d'ouvrir cette enveloppe.")
    for other in recipients.others[:2]:
        assert f"0x{other.certificate.serial_number:X}" in err.message_fr
    assert "CN=AMP Test Qualified CA" in err.message_fr
    assert len(err.needed) == 2  # type: ignore[attr-defined]


def test_subject_key_identifier_recipients(
    recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    """`openssl cms -encrypt -keyid` names recipients by subjectKeyIdentifier instead of issuer+serial."""
    src, out = dirs
    data = sample_data(3000)
    (src / "plain").write_bytes(data)
    certs = recipients.certs(3)
    cmd = [
        "openssl",
        "cms",
        "-encrypt",
        "-binary",
        "-keyid",
        "-aes-256-cbc",
        "-in",
        str(src / "plain"),
        "-out",
        str(src / "env"),
        "-outform",
        "DER",
        *map(str, certs),
    ]
    pki_mod.run(cmd)
    decrypt_envelope(src / "env", p12_credentials, out / "ok")
    assert (out / "ok").read_bytes() == data
    (out / "ok").unlink()
    cmd_others = [c for c in cmd if c not in {str(recipients.ours.files["cert"])}]
    cmd_others[cmd_others.index(str(src / "env"))] = str(src / "env2")
    pki_mod.run(cmd_others)
    err = expect_failure(src / "env2", p12_credentials, out, env_errors.NoMatchingKeyError)
    assert "identifiant de clé" in err.message_fr


def test_signature_key_cannot_open(test_pki: pki_mod.TestPki, recipients: Recipients, dirs: tuple[Path, Path]) -> None:
    """Offering only a signature certificate: the envelope still says which bi-clé it needs."""
    from assistant.keystores.pkcs12 import Pkcs12Store

    src, out = dirs
    (src / "plain").write_bytes(b"x")
    env = openssl_encrypt(src / "plain", src / "env", recipients.certs(1))
    signer = Pkcs12Store(test_pki.signer.files["p12"], lambda r: pki_mod.P12_PASSWORD).credentials()
    err = expect_failure(env, signer, out, env_errors.NoMatchingKeyError)
    assert f"0x{recipients.ours.certificate.serial_number:X}" in err.message_fr


# -- truncated ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cipher", "stream"), [("aes-256-cbc", False), ("aes-256-cbc", True), ("aes-128-gcm", False), ("aes-128-gcm", True)]
)
def test_truncated_envelope(
    cipher: str, stream: bool, recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    src, out = dirs
    (src / "plain").write_bytes(sample_data(20_000))
    env = openssl_encrypt(src / "plain", src / "env", recipients.certs(2), cipher=cipher, stream=stream)
    whole = env.read_bytes()
    for keep in (1, 5, 40, 300, 700, len(whole) // 2, len(whole) - 17, len(whole) - 2, len(whole) - 1):
        cut = src / f"cut{keep}"
        cut.write_bytes(whole[:keep])
        err = expect_failure(cut, p12_credentials, out, env_errors.TruncatedEnvelopeError)
        assert "incomplète" in err.message_fr and err.code == "envelope_truncated"


def test_truncated_pem(recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]) -> None:
    src, out = dirs
    (src / "plain").write_bytes(sample_data(20_000))
    env = openssl_encrypt(src / "plain", src / "env.pem", recipients.certs(1), form="PEM")
    whole = env.read_bytes()
    for keep in (30, len(whole) // 2, len(whole) - 40):
        cut = src / f"cut{keep}.pem"
        cut.write_bytes(whole[:keep])
        expect_failure(cut, p12_credentials, out, env_errors.EnvelopeError)


# -- flipped bytes ------------------------------------------------------------------------------


def _find(haystack: bytes, needle: bytes) -> int:
    index = haystack.find(needle)
    assert index >= 0
    return index


def test_flipped_byte_in_the_encrypted_key(
    recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    src, out = dirs
    (src / "plain").write_bytes(sample_data(5000))
    for padding in ("pkcs1", "oaep-sha256"):
        env = openssl_encrypt(src / "plain", src / f"env-{padding}", recipients.certs(1), padding=padding)
        data = env.read_bytes()
        # the 256-byte encrypted key follows "04 82 01 00" in the recipient info
        offset = _find(data, b"\x04\x82\x01\x00") + 4 + 100
        err = expect_failure(flip(env, offset), p12_credentials, out, env_errors.EnvelopeError)
        assert err.code in ("envelope_key_unwrap", "envelope_integrity"), err.code


def test_flipped_byte_in_the_recipient_name(
    recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    src, out = dirs
    (src / "plain").write_bytes(b"x" * 100)
    env = openssl_encrypt(src / "plain", src / "env", recipients.certs(1))
    offset = _find(env.read_bytes(), b"AMP Test Qualified CA") + 4
    expect_failure(flip(env, offset, 0x01), p12_credentials, out, env_errors.NoMatchingKeyError)


def test_flipped_byte_in_lengths_and_tags(
    recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    src, out = dirs
    (src / "plain").write_bytes(sample_data(3000))
    for stream in (False, True):
        env = openssl_encrypt(src / "plain", src / f"env{stream}", recipients.certs(1), stream=stream)
        for offset in (0, 1, 2, 3, 4, 15, 16, 17, 18):
            expect_failure(flip(env, offset), p12_credentials, out, env_errors.EnvelopeError)


def test_flipped_byte_in_cbc_content_end_breaks_the_padding(
    recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    src, out = dirs
    data = sample_data(70_001)  # 70 018 bytes: the padding is 14 bytes of 0x0E
    (src / "plain").write_bytes(data)
    env = openssl_encrypt(src / "plain", src / "env", recipients.certs(1), cipher="aes-256-cbc")
    size = env.stat().st_size  # definite length: the ciphertext ends the file
    # last byte of the next-to-last block: XOR 0xFF turns the pad byte 0x0E into 0xF1
    err = expect_failure(flip(env, size - 17), p12_credentials, out, env_errors.IntegrityError)
    assert "bourrage" in err.message_fr
    # a byte before it: the pad bytes no longer all agree (0x0E ... 0xF1 0x0E). Deterministic, unlike a
    # flip inside the last block, which turns that whole block random and leaves a valid-looking
    # pad about once in 256 runs (CBC has no integrity of its own: the tests made that flaky).
    err = expect_failure(flip(env, size - 18), p12_credentials, out, env_errors.IntegrityError)
    assert "bourrage" in err.message_fr


@pytest.mark.parametrize("stream", [False, True])
def test_flipped_byte_in_gcm_content_or_tag(
    stream: bool, recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    src, out = dirs
    (src / "plain").write_bytes(sample_data(50_000))
    env = openssl_encrypt(src / "plain", src / "env", recipients.certs(1), cipher="aes-256-gcm", stream=stream)
    size = env.stat().st_size
    trailer = 6 if stream else 0  # three end-of-contents after the tag when streamed
    content_end = size - trailer - 18 - (4 if stream else 0)  # tag (04 10 + 16), content's two end-of-contents
    for offset in (content_end - 50, content_end - 1, size - trailer - 1, size - trailer - 16):
        err = expect_failure(flip(env, offset, 0x20), p12_credentials, out, env_errors.IntegrityError)
        assert "AES-GCM" in err.message_fr


def test_flipped_byte_in_the_middle_of_a_cbc_zip_is_caught_by_its_crc(
    recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    """AES-CBC has no integrity: a flip mid-content decrypts 'fine'. The ZIP's CRC-32 catches it."""
    src, out = dirs
    bid = make_zip({"offre.pdf": sample_data(200_000), "dc1.pdf": sample_data(30_000)}, compression=0)
    (src / "bid.zip").write_bytes(bid)
    env = openssl_encrypt(src / "bid.zip", src / "env", recipients.certs(1), cipher="aes-256-cbc")
    err = expect_failure(flip(env, env.stat().st_size - 120_000), p12_credentials, out, env_errors.CorruptArchiveError)
    assert "altéré" in err.message_fr


# -- algorithms and formats we refuse -----------------------------------------------------------


def test_unknown_content_algorithm(
    recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    src, out = dirs
    (src / "plain").write_bytes(b"x" * 1000)
    env = openssl_encrypt(src / "plain", src / "env", recipients.certs(1), cipher="camellia-256-cbc")
    err = expect_failure(env, p12_credentials, out, env_errors.UnsupportedAlgorithmError)
    assert "non pris en charge" in err.message_fr and "AES" in err.message_fr
    # an AES OID turned into aes256-OFB (2.16.840.1.101.3.4.1.43) by one byte
    env = openssl_encrypt(src / "plain", src / "env2", recipients.certs(1), cipher="aes-256-cbc")
    offset = _find(env.read_bytes(), bytes.fromhex("060960864801650304012a")) + 10
    err = expect_failure(flip(env, offset, 0x01), p12_credentials, out, env_errors.UnsupportedAlgorithmError)
    assert "2.16.840.1.101.3.4.1.43" in err.message_fr


@pytest.mark.parametrize("kind", ["signed", "random", "empty", "text", "pem-cert"])
def test_not_an_envelope(
    kind: str, test_pki: pki_mod.TestPki, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    src, out = dirs
    path = src / f"{kind}.p7m"
    if kind == "signed":
        (src / "plain").write_bytes(b"offre")
        pki_mod.run(
            [
                "openssl",
                "cms",
                "-sign",
                "-binary",
                "-in",
                str(src / "plain"),
                "-out",
                str(path),
                "-outform",
                "DER",
                "-signer",
                str(test_pki.signer.files["cert"]),
                "-inkey",
                str(test_pki.signer.files["key"]),
            ]
        )
    elif kind == "random":
        path.write_bytes(bytes(range(256)) * 10)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("Bonjour, voici mon offre.\n")
    else:
        path.write_bytes(test_pki.encryption.cert_pem)
    err = expect_failure(path, p12_credentials, out, env_errors.NotAnEnvelopeError)
    if kind == "signed":
        assert "signature" in err.message_fr


def test_source_missing_and_output_folder_missing(
    p12_credentials: list[Credential], dirs: tuple[Path, Path], recipients: Recipients
) -> None:
    from assistant.errors import InputFileError, OutputError

    src, out = dirs
    with pytest.raises(InputFileError):
        decrypt_envelope(src / "absent.p7m", p12_credentials, out / "x")
    (src / "plain").write_bytes(b"x")
    env = openssl_encrypt(src / "plain", src / "env", recipients.certs(1))
    with pytest.raises(OutputError):
        decrypt_envelope(env, p12_credentials, out / "no-such-folder" / "x")


def test_cancel_leaves_nothing(
    recipients: Recipients, p12_credentials: list[Credential], dirs: tuple[Path, Path]
) -> None:
    from assistant.errors import CancelledError
    from assistant.progress import CancelToken, ProgressUpdate

    src, out = dirs
    (src / "plain").write_bytes(sample_data(30 << 20))
    env = openssl_encrypt(src / "plain", src / "env", recipients.certs(1), stream=True)
    token = CancelToken()
    seen: list[ProgressUpdate] = []

    def progress(update: ProgressUpdate) -> None:
        seen.append(update)
        if update.bytes_done > 10 << 20:
            token.cancel()

    snapshot = Snapshot.take(env, out)
    with pytest.raises(CancelledError):
        decrypt_envelope(env, p12_credentials, out / "x", progress=progress, cancel=token)
    snapshot.assert_unchanged(out)
    assert seen and all(u.bytes_total == env.stat().st_size for u in seen)
