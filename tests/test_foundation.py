"""The foundation: the command answers, folders move with ASSISTANT_HOME, the test PKI is real."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from assistant import __version__, paths
from assistant.keystores.base import DecryptionMechanism, DecryptionScheme, SignatureMechanism, SignatureScheme
from assistant.keystores.pkcs12 import Pkcs12Store
from tests import pki as pki_mod


def test_version_is_fast_and_imports_no_qt_or_crypto() -> None:
    code = (
        "import sys, time; t=time.perf_counter();"
        "from assistant.cli import main\n"
        "try:\n main(['--version'])\nexcept SystemExit: pass\n"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('PySide6','cryptography','pyhanko','pkcs11','asn1crypto')]\n"
        "print(bad)"
    )
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    assert __version__ in out.stdout
    assert out.stdout.strip().endswith("[]"), out.stdout
    assert elapsed < 1.5  # the process as a whole; bench/ measures the 150 ms target precisely


def test_assistant_home_moves_every_folder(assistant_home: Path) -> None:
    for folder in (paths.config_dir(), paths.data_dir(), paths.logs_dir(), paths.cache_dir(), paths.state_dir()):
        assert folder.is_relative_to(assistant_home)
        assert folder.is_dir()


def test_pkcs12_signature_and_decryption_verify_with_openssl(test_pki: pki_mod.TestPki, tmp_path: Path) -> None:
    asked: list[str] = []

    def pin(request):  # type: ignore[no-untyped-def]
        asked.append(request.kind)
        return pki_mod.P12_PASSWORD

    store = Pkcs12Store(test_pki.signer.files["p12"], pin)
    (cred,) = store.credentials()
    data = b"Offre technique lot 3"
    sig = cred.sign(data, SignatureMechanism(SignatureScheme.RSA_PKCS1V15))
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "sig").write_bytes(sig)
    (tmp_path / "pub.pem").write_bytes(
        subprocess.run(
            ["openssl", "x509", "-pubkey", "-noout", "-in", str(test_pki.signer.files["cert"])],
            capture_output=True,
            check=True,
        ).stdout
    )
    verify = subprocess.run(
        [
            "openssl",
            "dgst",
            "-sha256",
            "-verify",
            str(tmp_path / "pub.pem"),
            "-signature",
            str(tmp_path / "sig"),
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0 and "Verified OK" in verify.stdout
    # decryption: OpenSSL encrypts to the bi-clé's public key, the credential decrypts
    enc_store = Pkcs12Store(test_pki.encryption.files["p12"], pin)
    (enc,) = enc_store.credentials()
    (tmp_path / "cek").write_bytes(b"0123456789abcdef0123456789abcdef")
    subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-encrypt",
            "-certin",
            "-inkey",
            str(test_pki.encryption.files["cert"]),
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-in",
            str(tmp_path / "cek"),
            "-out",
            str(tmp_path / "cek.enc"),
        ],
        check=True,
    )
    clear = enc.decrypt(
        (tmp_path / "cek.enc").read_bytes(), DecryptionMechanism(DecryptionScheme.RSA_OAEP, hash=pki_mod_hash("sha256"))
    )
    assert clear == b"0123456789abcdef0123456789abcdef"
    assert "password" in asked


def pki_mod_hash(name: str):  # type: ignore[no-untyped-def]
    from assistant.keystores.base import HashAlgorithm

    return HashAlgorithm(name)


def test_fixture_stores_are_made_by_the_real_tools(softhsm_token: pki_mod.SoftHsmToken, nss_db: pki_mod.NssDb) -> None:
    listing = subprocess.run(
        [
            "pkcs11-tool",
            "--module",
            softhsm_token.module,
            "--token-label",
            softhsm_token.label,
            "--list-objects",
            "--type",
            "cert",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Jeanne Dupont" in listing.stdout or "signer" in listing.stdout
    certs = subprocess.run(["certutil", "-L", "-d", nss_db.spec], capture_output=True, text=True, check=True)
    assert "signer" in certs.stdout and "AMP Test Root CA" in certs.stdout


def test_a_linked_cancel_token_stops_workers_without_cancelling_the_job() -> None:
    """The download stops its workers with a linked token after a failure: the job's own token
    stays clear (so the job ends failed, not cancelled), while the user's cancel still reaches
    the workers, a sleeping retry included."""
    import threading
    import time

    import pytest

    from assistant.errors import CancelledError
    from assistant.progress import CancelToken

    job = CancelToken()
    workers = job.linked()
    workers.cancel()
    assert workers.cancelled and not job.cancelled

    job = CancelToken()
    workers = job.linked()
    threading.Timer(0.1, job.cancel).start()
    began = time.monotonic()
    assert workers.wait(10) is True  # a retry's back-off wakes on the user's cancel
    assert time.monotonic() - began < 2
    with pytest.raises(CancelledError):
        workers.raise_if_cancelled()
    assert CancelToken().linked().wait(0.05) is False
