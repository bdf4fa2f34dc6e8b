"""Safe extraction of the bid's ZIP: hostile archives are refused whole, French names survive."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from assistant.envelopes.errors import CorruptArchiveError, UnsafeArchiveError
from assistant.envelopes.folder import decrypt_one
from assistant.envelopes.zip_extract import ZipLimits, safe_extract_zip
from assistant.keystores.base import Credential
from tests.envelopes.conftest import Recipients
from tests.envelopes.helpers import Snapshot, hostile_zip, listing, make_zip, openssl_encrypt, raw_name_zip


def _extract_refused(
    blob: bytes, tmp_path: Path, error: type[Exception] = UnsafeArchiveError, limits: ZipLimits | None = None
) -> str:
    work = tmp_path / "work"
    work.mkdir(parents=True, exist_ok=True)
    archive = work / "bid.zip"
    archive.write_bytes(blob)
    before = listing(tmp_path)
    with pytest.raises(error) as info:
        safe_extract_zip(archive, work / "bid", limits=limits)
    assert listing(tmp_path) == before, "something was extracted"
    assert not (tmp_path.parent / "evil.txt").exists()
    return str(info.value.message_fr)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "docs/../../evil.txt",
        "..\\evil.txt",
        "/etc/evil.txt",
        "\\\\server\\share\\evil.txt",
        "C:\\Windows\\evil.txt",
        "c:evil.txt",
        "CON",
        "nul.txt",
        "docs/AUX.pdf",
        "com1",
        "LPT9.doc",
        "offre.pdf:stream",
        "offre?.pdf",
        "offre.pdf ",
        "fin.",
    ],
)
def test_hostile_names_refused(name: str, tmp_path: Path) -> None:
    message = _extract_refused(hostile_zip(name), tmp_path)
    assert message.startswith("Archive refusée") and "Rien n'a été extrait" in message


def test_hostile_entry_after_good_ones_leaves_nothing(tmp_path: Path) -> None:
    good = make_zip({"a.pdf": b"a" * 100, "b.pdf": b"b" * 100})
    buf = io.BytesIO(good)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("x" * len("../../evil.txt"), b"pwned")
    blob = buf.getvalue().replace(b"x" * len("../../evil.txt"), b"../../evil.txt")
    _extract_refused(blob, tmp_path)


def test_symlink_and_duplicates_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("lien")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    assert "lien symbolique" in _extract_refused(buf.getvalue(), tmp_path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("Offre.pdf", b"1")
        zf.writestr("offre.PDF", b"2")  # the same file on Windows and macOS
    assert "deux fois" in _extract_refused(buf.getvalue(), tmp_path / "b")


def test_zip_bomb_ratio_and_total(tmp_path: Path) -> None:
    bomb = make_zip({"zeros.bin": bytes(50 << 20)})
    assert len(bomb) < 100_000
    assert "bombe ZIP" in _extract_refused(bomb, tmp_path)
    many = make_zip({f"f{i}.txt": b"x" * 10 for i in range(30)})
    assert "30 éléments" in _extract_refused(many, tmp_path / "b", limits=ZipLimits(max_files=20))
    big = make_zip(
        {"a.bin": bytes(range(256)) * 8000, "b.bin": bytes(range(256)) * 8000}, compression=zipfile.ZIP_STORED
    )
    assert "dépasse 2,9 Mo" in _extract_refused(big, tmp_path / "c", limits=ZipLimits(max_total=3_000_000))


def test_lying_size_header_is_caught_while_writing(tmp_path: Path) -> None:
    """A central directory claiming 100 bytes for a 5 MB member: the real bytes are counted."""
    data = bytes(range(256)) * 20_000
    blob = bytearray(make_zip({"a.bin": data}, compression=zipfile.ZIP_STORED))
    size = len(data).to_bytes(4, "little")
    small = (100).to_bytes(4, "little")
    # local header (offset 22) and central directory (offset 24 from its signature) uncompressed sizes
    blob[22:26] = small
    central = blob.rfind(b"PK\x01\x02")
    assert blob[central + 24 : central + 28] == size
    blob[central + 24 : central + 28] = small
    _extract_refused(bytes(blob), tmp_path, error=(UnsafeArchiveError, CorruptArchiveError))  # type: ignore[arg-type]


def test_french_names_utf8_flag_cp850_and_unflagged_utf8(tmp_path: Path) -> None:
    names = ["Offre technique – été.pdf", "Mémoire/Annexe n°2 À signer.docx", "DC1 Ça va.pdf"]
    flagged = make_zip({n: n.encode() for n in names})
    out = safe_extract_zip(_write(tmp_path / "a.zip", flagged), tmp_path / "a")
    assert sorted(p.relative_to(tmp_path / "a").as_posix() for p in out) == sorted(names)
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == name.encode()

    legacy = "Acte d'engagement signé À été Ê.pdf"  # written by a French Windows tool: CP850, no flag
    blob = raw_name_zip("a" * len(legacy), legacy.encode("cp850"), b"ae")
    assert not zipfile.ZipFile(io.BytesIO(blob)).infolist()[0].flag_bits & 0x800
    safe_extract_zip(_write(tmp_path / "b.zip", blob), tmp_path / "b")
    assert (tmp_path / "b" / legacy).read_bytes() == b"ae"

    unflagged = "Réponse électronique.pdf"  # UTF-8 bytes without the flag (some Linux/macOS tools)
    blob = raw_name_zip("a" * len(unflagged.encode()), unflagged.encode(), b"re")
    safe_extract_zip(_write(tmp_path / "c.zip", blob), tmp_path / "c")
    assert (tmp_path / "c" / unflagged).read_bytes() == b"re"


def test_existing_target_is_not_merged_into(tmp_path: Path) -> None:
    from assistant.errors import OutputError

    (tmp_path / "a").mkdir()
    with pytest.raises(OutputError):
        safe_extract_zip(_write(tmp_path / "a.zip", make_zip({"x": b"1"})), tmp_path / "a")
    assert list((tmp_path / "a").iterdir()) == []


def test_corrupt_member_leaves_nothing(tmp_path: Path) -> None:
    blob = bytearray(make_zip({"a.txt": b"hello world " * 1000}, compression=zipfile.ZIP_STORED))
    blob[40] ^= 0xFF  # in a.txt's data: CRC mismatch
    _extract_refused(bytes(blob), tmp_path, error=CorruptArchiveError)


def test_decrypted_hostile_zip_leaves_neither_files_nor_archive(
    recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path
) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    (src / "bid.zip").write_bytes(hostile_zip("../../evil.txt"))
    env = openssl_encrypt(src / "bid.zip", src / "EL1_Enveloppe_Offre.zip.p7m", recipients.certs(1))
    snapshot = Snapshot.take(env, out)
    outcome = decrypt_one(env, p12_credentials, out)
    assert isinstance(outcome.error, UnsafeArchiveError)
    snapshot.assert_unchanged(out)
    # without extraction the archive itself is delivered, for inspection by other means
    outcome = decrypt_one(env, p12_credentials, out, extract=False)
    assert outcome.ok and outcome.result is not None
    assert outcome.result.output == out / "EL1_Enveloppe_Offre.zip"


def _write(path: Path, blob: bytes) -> Path:
    path.write_bytes(blob)
    return path
