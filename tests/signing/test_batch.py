"""sign_files as the user lives it: one PIN, per-file progress, failures isolated, nothing lost."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.keystores.base import Credential, KeyStoreError
from assistant.keystores.pkcs12 import Pkcs12Store
from assistant.progress import CancelToken, ProgressUpdate
from assistant.signing import SignFormat, sign_files
from assistant.signing.batch import ZIP_WARNING_FR
from assistant.signing.naming import format_name, output_path
from tests import pki
from tests.signing.conftest import PinCounter, fingerprint, make_pdf
from tests.signing.validators import openssl_cms_verify, xmlsec_verify


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "Réponse"
    path.mkdir()
    return path


def _files(folder: Path, count: int, suffix: str = ".bin") -> list[Path]:
    paths = []
    for i in range(count):
        path = folder / f"Pièce {i + 1}{suffix}"
        path.write_bytes(os.urandom(2048 + i))
        paths.append(path)
    return paths


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES, SignFormat.PADES])
def test_one_password_for_a_whole_batch(
    folder: Path, test_pki: pki.TestPki, p12_pin: PinCounter, p12_credential: Credential, fmt: SignFormat
) -> None:
    if fmt is SignFormat.PADES:
        files = [make_pdf(folder / f"Document {i}.pdf", f"Page {i}") for i in range(5)]
    else:
        files = _files(folder, 5)
    batch = sign_files(p12_credential, files, fmt)
    assert batch.ok and batch.signed == 5
    assert p12_pin.count == 1, p12_pin.requests
    assert p12_pin.requests[0].kind == "password"


def test_progress_says_file_n_of_m(folder: Path, p12_credential: Credential) -> None:
    files = _files(folder, 8)
    updates: list[ProgressUpdate] = []
    sign_files(p12_credential, files, SignFormat.CADES, progress=updates.append)
    labels = [u.label for u in updates if u.label]
    for n in range(1, 9):
        assert f"Signature du fichier {n} sur 8" in labels
    assert updates[-1].step == 8 and updates[-1].steps == 8
    assert updates[-1].fraction == 1.0


def test_a_failing_file_does_not_lose_the_others(
    folder: Path, test_pki: pki.TestPki, p12_credential: Credential
) -> None:
    good = _files(folder, 3)
    empty = folder / "vide.bin"
    empty.touch()
    missing = folder / "absent.bin"
    batch = sign_files(p12_credential, [good[0], empty, good[1], missing, good[2]], SignFormat.CADES)
    assert not batch.ok and batch.signed == 3
    codes = [r.error.code if r.error else None for r in batch.results]
    assert codes == [None, "empty_file", None, "file_not_found", None]
    for result in batch.results:
        if result.ok:
            assert result.output is not None
            assert openssl_cms_verify(result.output, result.source, test_pki.ca_bundle).returncode == 0
        else:
            assert result.error is not None and result.error.message_fr and result.error.message_en
    assert batch.results[1].to_dict()["error"]["code"] == "empty_file"


def test_zip_warning(folder: Path, p12_credential: Credential) -> None:
    archive = folder / "Offre_Lot3.zip"
    archive.write_bytes(b"PK\x03\x04" + os.urandom(100))
    result = sign_files(p12_credential, [archive], SignFormat.XADES).results[0]
    assert result.ok
    assert result.warnings == [ZIP_WARNING_FR]
    assert "ne signe pas chacun des documents qu'il contient" in ZIP_WARNING_FR


def test_cosignature_numbering_and_same_second_collision(folder: Path, p12_credential: Credential) -> None:
    source = _files(folder, 1)[0]
    first = sign_files(p12_credential, [source], SignFormat.CADES).results[0].output
    second = sign_files(p12_credential, [source], SignFormat.CADES).results[0].output
    assert first is not None and second is not None
    assert first.name.endswith(" - Signature 1.p7s") and second.name.endswith(" - Signature 2.p7s")
    # A name taken in the same second (by anyone) is never overwritten: the number goes up.
    when = dt.datetime(2020, 11, 2, 14, 40, 25)
    target = output_path(source, SignFormat.CADES, folder, when=when)
    assert target.name == format_name(source.name, when, 3, ".p7s")
    assert target.name == "Pièce 1.bin - 20201102144025 - Signature 3.p7s"


def test_expired_certificate_refused_before_any_pin(folder: Path, test_pki: pki.TestPki) -> None:
    pin = PinCounter(pki.P12_PASSWORD)
    store = Pkcs12Store(test_pki.expired.files["p12"], pin)
    credential = store.credentials()[0]
    pin.requests.clear()
    with pytest.raises(KeyStoreError) as info:
        sign_files(credential, _files(folder, 1), SignFormat.CADES)
    assert info.value.code == "certificate_expired"
    assert "a expiré" in info.value.message_fr
    assert pin.count == 0
    assert [p.suffix for p in folder.iterdir()] == [".bin"]


def test_encryption_certificate_refused(folder: Path, test_pki: pki.TestPki) -> None:
    store = Pkcs12Store(test_pki.encryption.files["p12"], PinCounter(pki.P12_PASSWORD))
    with pytest.raises(KeyStoreError) as info:
        sign_files(store.credentials()[0], _files(folder, 1), SignFormat.XADES)
    assert info.value.code == "certificate_not_for_signature"


def test_read_only_folder_clear_error_and_original_untouched(test_pki: pki.TestPki) -> None:
    """`assistant sign` in a folder the user cannot write to. Root ignores folder permissions, so
    when the tests run as root the command runs as `nobody` (setpriv), like an ordinary user."""
    import json
    import shutil
    import subprocess
    import sys
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="amp-ro-"))
    folder = base / "Dossier en lecture seule"
    try:
        base.chmod(0o755)
        folder.mkdir()
        source = folder / "Mémoire technique.pdf"
        make_pdf(source)
        source.chmod(0o644)
        key = base / "signer.p12"
        shutil.copy(test_pki.signer.files["p12"], key)
        key.chmod(0o644)
        home = base / "home"
        home.mkdir()
        home.chmod(0o777)
        folder.chmod(0o555)
        before = fingerprint(source)
        command = [
            sys.executable,
            "-m",
            "assistant",
            "sign",
            "--format",
            "pades",
            "--key",
            str(key),
            "--pin-env",
            "AMP_TEST_PIN",
            "--json",
            str(source),
        ]
        if os.geteuid() == 0:
            command = [pki.require_tool("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        env = {**os.environ, "ASSISTANT_HOME": str(home), "AMP_TEST_PIN": pki.P12_PASSWORD}
        done = subprocess.run(command, capture_output=True, env=env, cwd=base, timeout=120)
        assert done.returncode == 1, done.stderr
        line = json.loads(done.stdout.decode().strip().splitlines()[-1])
        assert line["output"] is None
        assert line["error"]["code"] == "output_not_writable", line
        assert "lecture seule" in line["error"]["message"]
        assert fingerprint(source) == before
        assert [p.name for p in folder.iterdir()] == [source.name]
    finally:
        if folder.exists():
            folder.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_cancel_stops_before_next_file(folder: Path, p12_credential: Credential) -> None:
    files = _files(folder, 4)
    cancel = CancelToken()

    def progress(update: ProgressUpdate) -> None:
        if update.step == 2 and update.steps == 4 and update.label.endswith("2 sur 4"):
            cancel.cancel()

    batch = sign_files(p12_credential, files, SignFormat.CADES, progress=progress, cancel=cancel)
    assert [r.ok for r in batch.results] == [True, True, False, False]
    assert all(r.error is not None and r.error.code == "cancelled" for r in batch.results[2:])
    assert len([p for p in folder.iterdir() if p.suffix == ".p7s"]) == 2


def test_two_gigabyte_file(tmp_path: Path, test_pki: pki.TestPki, p12_credential: Credential) -> None:
    """A 2 GB (sparse) file signs with constant memory; both detached formats verify."""
    big = tmp_path / "Archive DCE complète.zip"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024**3)
        fh.seek(2 * 1024**3 - 5)
        fh.write(b"fin\n")
    before = (big.stat().st_size, big.stat().st_mtime_ns)  # openssl's check below covers the content
    batch = sign_files(p12_credential, [big], SignFormat.CADES)
    assert batch.ok, batch.results[0].error
    output = batch.results[0].output
    assert output is not None
    assert openssl_cms_verify(output, big, test_pki.ca_bundle).returncode == 0
    assert (big.stat().st_size, big.stat().st_mtime_ns) == before


def test_unknown_level_and_b_t_without_tsa(folder: Path, p12_credential: Credential) -> None:
    files = _files(folder, 1)
    with pytest.raises(AssistantError) as info:
        sign_files(p12_credential, files, SignFormat.CADES, level="B-XL")
    assert info.value.code == "bad_level"
    with pytest.raises(AssistantError) as info:
        sign_files(p12_credential, files, SignFormat.CADES, level="B-T")
    assert info.value.code == "tsa_missing"


def test_xades_of_many_files_all_verify(folder: Path, test_pki: pki.TestPki, p12_credential: Credential) -> None:
    files = _files(folder, 3)
    batch = sign_files(p12_credential, files, SignFormat.XADES)
    for result in batch.results:
        assert result.output is not None
        assert re.search(r" - \d{14} - Signature 1\.xml$", result.output.name)
        assert xmlsec_verify(result.output, test_pki.ca_bundle).returncode == 0


def test_format_names_from_a_page(folder: Path, p12_credential: Credential) -> None:
    files = _files(folder, 1)
    assert sign_files(p12_credential, files, "CAdES").results[0].format is SignFormat.CADES
    with pytest.raises(AssistantError) as info:
        sign_files(p12_credential, files, "ASiC-E")
    assert info.value.code == "bad_format" and "PAdES, CAdES, XAdES" in info.value.message_fr


def test_signature_files_get_ordinary_permissions(folder: Path, p12_credential: Credential) -> None:
    """The temp file is private (0600) while written; the published signature is a normal file."""
    import stat

    output = sign_files(p12_credential, _files(folder, 1), SignFormat.CADES).results[0].output
    assert output is not None
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(output.stat().st_mode) == 0o644 & ~mask
    assert not [p for p in folder.iterdir() if p.name.startswith(".amp-signature-")]


def _zip_with(path: Path, entries: dict[str, bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_office_and_opendocument_files_are_documents_not_archives(folder: Path, p12_credential: Credential) -> None:
    """A .docx/.xlsx/.odt is a ZIP inside but one document: no "ZIP does not sign its contents"
    warning; a real archive, even renamed, still gets it."""
    ooxml = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    odf = {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"}
    docx = _zip_with(folder / "Mémoire technique.docx", ooxml)
    xlsx = _zip_with(folder / "BPU.xlsx", {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    odt = _zip_with(folder / "Acte d'engagement.odt", odf)
    odt_renamed = _zip_with(folder / "Annexe.bin", odf)  # an OpenDocument known by its content alone
    renamed_archive = _zip_with(folder / "Pièces.dat", {"a.pdf": b"%PDF-1.7 a", "b.pdf": b"%PDF-1.7 b"})
    batch = sign_files(p12_credential, [docx, xlsx, odt, odt_renamed, renamed_archive], SignFormat.CADES)
    assert [r.ok for r in batch.results] == [True] * 5
    assert [r.warnings for r in batch.results] == [[], [], [], [], [ZIP_WARNING_FR]]
