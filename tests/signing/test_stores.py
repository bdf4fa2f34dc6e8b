"""Keys that cannot leave their store: SoftHSM2 (the smart card) and an NSS database (the Linux OS
store) sign in the three formats, each batch with one PIN entry, judged by the external validators."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.keystores.base import Credential, KeyStore
from assistant.signing import SignFormat, sign_files
from tests import pki
from tests.signing.conftest import PinCounter, fingerprint, make_pdf
from tests.signing.validators import openssl_cms_verify, pdfsig, pyhanko_validate, xmlsec_verify


def _open_softhsm(token: pki.SoftHsmToken, pin: PinCounter) -> KeyStore:
    from assistant.keystores.pkcs11.backend import open_module_stores
    from assistant.keystores.pkcs11.modules import load_module

    stores = open_module_stores(load_module(token.module), pin)
    chosen = [s for s in stores if s.label == token.label]
    for other in stores:
        if other not in chosen:
            other.close()
    assert chosen, "the SoftHSM test token is not visible"
    return chosen[0]


def _open_nss(db: pki.NssDb, pin: PinCounter) -> KeyStore:
    from assistant.keystores.pkcs11.nss import open_database

    return open_database(db.directory, pin)


@pytest.fixture(params=["softhsm", "nss"])
def store_and_pin(
    request: pytest.FixtureRequest, softhsm_token: pki.SoftHsmToken, nss_db: pki.NssDb
) -> Iterator[tuple[KeyStore, PinCounter]]:
    if request.param == "softhsm":
        pin = PinCounter(softhsm_token.pin)
        store = _open_softhsm(softhsm_token, pin)
    else:
        pin = PinCounter(nss_db.password)
        store = _open_nss(nss_db, pin)
    try:
        yield store, pin
    finally:
        store.close()


def _credential(store: KeyStore, cn: str) -> Credential:
    for credential in store.credentials():
        if credential.certificate.subject.rfc4514_string().startswith(f"CN={cn},"):
            return credential
    raise AssertionError(f"{cn} not found in {store}")


def _files(folder: Path, count: int) -> list[Path]:
    out = []
    for i in range(count):
        path = folder / f"Annexe {i + 1}.docx"
        path.write_bytes(os.urandom(10_000))
        out.append(path)
    return out


def test_three_formats_one_pin_from_a_store(
    tmp_path: Path, test_pki: pki.TestPki, store_and_pin: tuple[KeyStore, PinCounter], pdfsig_nssdir: Path
) -> None:
    store, pin = store_and_pin
    credential = _credential(store, "Jeanne Dupont")
    folder = tmp_path / "dépôt"
    folder.mkdir()
    files = _files(folder, 3)
    pdfs = [make_pdf(folder / f"Acte {i}.pdf") for i in range(2)]
    originals = {p: fingerprint(p) for p in files + pdfs}

    cades = sign_files(credential, files, SignFormat.CADES)
    xades = sign_files(credential, files, SignFormat.XADES)
    pades = sign_files(credential, pdfs, SignFormat.PADES)
    for batch in (cades, xades, pades):
        assert batch.ok, [r.error for r in batch.results]
    assert pin.count == 1, pin.requests

    for result in cades.results:
        assert result.output is not None
        assert openssl_cms_verify(result.output, result.source, test_pki.ca_bundle).returncode == 0
    for result in xades.results:
        assert result.output is not None
        done = xmlsec_verify(result.output, test_pki.ca_bundle)
        assert done.returncode == 0, done.stderr
    for result in pades.results:
        assert result.output is not None
        assert "Signature is Valid." in pdfsig(result.output, pdfsig_nssdir)
        statuses = pyhanko_validate(result.output, test_pki)
        assert all(s.valid and s.intact and s.trusted for s in statuses)  # type: ignore[attr-defined]
    assert {p: fingerprint(p) for p in originals} == originals


def test_ecdsa_key_on_a_store(
    tmp_path: Path, test_pki: pki.TestPki, store_and_pin: tuple[KeyStore, PinCounter]
) -> None:
    store, _pin = store_and_pin
    credential = _credential(store, "Élise Martin (ECDSA)")
    files = _files(tmp_path, 1)
    cades = sign_files(credential, files, SignFormat.CADES).results[0]
    xades = sign_files(credential, files, SignFormat.XADES).results[0]
    assert cades.output is not None and xades.output is not None, (cades.error, xades.error)
    assert openssl_cms_verify(cades.output, files[0], test_pki.ca_bundle).returncode == 0
    assert xmlsec_verify(xades.output, test_pki.ca_bundle).returncode == 0


def test_wrong_pin_is_a_clear_error_and_nothing_written(tmp_path: Path, softhsm_token: pki.SoftHsmToken) -> None:
    pin_calls: list[bool] = []

    def wrong_then_cancel(request: object) -> str | None:
        pin_calls.append(True)
        return "000000" if len(pin_calls) == 1 else None

    store = _open_softhsm(softhsm_token, wrong_then_cancel)  # type: ignore[arg-type]
    try:
        credential = _credential(store, "Jeanne Dupont")
        folder = tmp_path / "f"
        folder.mkdir()
        files = _files(folder, 2)
        batch = sign_files(credential, files, SignFormat.CADES)
    finally:
        store.close()
    assert not batch.ok
    first = batch.results[0].error
    assert first is not None and first.code in ("pin_incorrect", "pin_cancelled"), first
    assert first.message_fr
    assert sorted(p.suffix for p in folder.iterdir()) == [".docx", ".docx"]
    # Wrong, then cancelled at the retry prompt: the second file does not ask again.
    assert len(pin_calls) == 2
    assert batch.results[1].error is not None


def test_always_authenticate_key_tells_why_the_pin_is_asked_again(tmp_path: Path, test_pki: pki.TestPki) -> None:
    """A key with CKA_ALWAYS_AUTHENTICATE (a card's "qualified" key) wants its PIN for every
    signature: each extra request carries the reason, shown to the user, and every file signs.

    It runs in its own process on its own SoftHSM configuration, so that the extra token does not
    appear in the session's shared SoftHSM (other tests count its tokens)."""
    import subprocess
    import sys

    token = pki.make_softhsm(tmp_path / "softhsm-aa", label="carte-qualifiee")
    env = {**os.environ, **token.env()}
    base = ["pkcs11-tool", "--module", token.module, "--token-label", token.label, "--login", "--pin", token.pin]
    pki.run(
        [
            *base,
            "--write-object",
            str(test_pki.signer.files["key"]),
            "--type",
            "privkey",
            "--always-auth",
            "--usage-sign",
            "--id",
            "01",
            "--label",
            "qualifiee",
        ],
        env=env,
    )
    pki.run(
        [
            *base,
            "--write-object",
            str(test_pki.signer.files["der"]),
            "--type",
            "cert",
            "--id",
            "01",
            "--label",
            "qualifiee",
        ],
        env=env,
    )
    folder = tmp_path / "docs"
    folder.mkdir()
    files = _files(folder, 3)
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "sign",
            "--format",
            "cades",
            "--key",
            token.uri("qualifiee"),
            "--pin-env",
            "AMP_PIN",
            "--",
            *map(str, files),
        ],
        env={**env, "AMP_PIN": token.pin, "ASSISTANT_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert done.stderr.count("exige la saisie du code PIN pour chaque signature") == 3, done.stderr
    signatures = sorted(folder.glob("*.p7s"))
    assert len(signatures) == 3
    for signature in signatures:
        content = folder / signature.name.split(" - ")[0]
        assert openssl_cms_verify(signature, content, test_pki.ca_bundle).returncode == 0


def test_issuers_from_the_store_are_embedded(tmp_path: Path, test_pki: pki.TestPki, nss_db: pki.NssDb) -> None:
    """The NSS database keeps the CA certificates as separate objects: the signature carries them,
    so a verifier that knows only the root accepts it (xmlsec1 given the root alone)."""
    from asn1crypto import cms

    from tests.signing.validators import XADES_NS

    pin = PinCounter(nss_db.password)
    store = _open_nss(nss_db, pin)
    try:
        credential = _credential(store, "Jeanne Dupont")
        assert credential.chain == []
        files = _files(tmp_path, 1)
        cades = sign_files(credential, files, SignFormat.CADES).results[0].output
        xades = sign_files(credential, files, SignFormat.XADES).results[0].output
    finally:
        store.close()
    assert cades is not None and xades is not None
    embedded = cms.ContentInfo.load(cades.read_bytes())["content"]["certificates"]
    subjects = {c.chosen.subject.native["common_name"] for c in embedded}
    assert subjects == {"Jeanne Dupont", "AMP Test Qualified CA", "AMP Test Root CA"}
    import subprocess

    done = subprocess.run(
        [
            "xmlsec1",
            "--verify",
            "--enabled-key-data",
            "x509",
            "--trusted-pem",
            str(test_pki.root_pem),
            "--id-attr:Id",
            f"{XADES_NS}:SignedProperties",
            "./" + xades.name,
        ],
        capture_output=True,
        cwd=xades.parent,
    )
    assert done.returncode == 0, done.stderr


def test_pades_failure_on_the_card_leaves_no_partial_file(tmp_path: Path, softhsm_token: pki.SoftHsmToken) -> None:
    """The PIN prompt is cancelled in the middle of a PAdES signature: no output, no temp file."""
    store = _open_softhsm(softhsm_token, lambda request: None)  # type: ignore[arg-type,return-value]
    folder = tmp_path / "pdf"
    folder.mkdir()
    source = make_pdf(folder / "Contrat.pdf")
    before = fingerprint(source)
    try:
        result = sign_files(_credential(store, "Jeanne Dupont"), [source], SignFormat.PADES).results[0]
    finally:
        store.close()
    assert result.error is not None and result.error.code == "pin_cancelled", result.error
    assert [p.name for p in folder.iterdir()] == ["Contrat.pdf"]
    assert fingerprint(source) == before


def test_pin_is_asked_before_the_first_file_is_read(tmp_path: Path, softhsm_token: pki.SoftHsmToken) -> None:
    """The PIN prompt comes first: a cancelled prompt reads no file and writes nothing."""
    from assistant.progress import ProgressUpdate

    events: list[str] = []

    def pin(request: object) -> str | None:
        events.append("pin")
        return None

    def progress(update: ProgressUpdate) -> None:
        events.append("progress")

    store = _open_softhsm(softhsm_token, pin)  # type: ignore[arg-type]
    files = _files(tmp_path, 3)
    try:
        batch = sign_files(_credential(store, "Jeanne Dupont"), files, SignFormat.XADES, progress=progress)
    finally:
        store.close()
    assert events == ["pin"]
    assert [r.error.code if r.error else None for r in batch.results] == ["pin_cancelled"] * 3
    assert sorted(p.suffix for p in tmp_path.iterdir() if p.is_file()) == [".docx"] * 3


def test_mistyped_pin_is_asked_again_once(
    tmp_path: Path, test_pki: pki.TestPki, softhsm_token: pki.SoftHsmToken
) -> None:
    from assistant.keystores.base import PinRequest

    requests: list[PinRequest] = []

    def pin(request: PinRequest) -> str | None:
        requests.append(request)
        return "999999" if len(requests) == 1 else softhsm_token.pin

    store = _open_softhsm(softhsm_token, pin)
    files = _files(tmp_path, 2)
    try:
        batch = sign_files(_credential(store, "Jeanne Dupont"), files, SignFormat.CADES)
    finally:
        store.close()
    assert batch.ok, [r.error for r in batch.results]
    assert [r.retry for r in requests] == [False, True]
