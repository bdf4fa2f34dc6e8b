"""A visible signature: validated by pdfsig and pyHanko, and drawn where the user put it
(pdftoppm renders the page; the pixels say where the stamp and the scanned image are)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from assistant.errors import InputFileError, UsageError
from assistant.keystores.base import Credential
from assistant.signing import SignFormat, sign_files
from assistant.signing.stamp import StampPlacement, VisibleSignature
from tests import pki
from tests.signing.conftest import PinCounter, make_pdf
from tests.signing.validators import pdfsig, pyhanko_validate

DPI = 50  # A4 at 50 dpi: 413 x 585 pixels


def _render(pdf: Path, out: Path, page: int = 1) -> Image.Image:
    pki.require_tool("pdftoppm")
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-png", "-singlefile", str(pdf), str(out)],
        check=True,
        capture_output=True,
    )
    return Image.open(out.with_suffix(".png")).convert("RGB")


def _region(image: Image.Image, placement: StampPlacement) -> tuple[int, int, int, int]:
    w, h = image.size
    return (
        round(placement.left * w),
        round(placement.top * h),
        round((placement.left + placement.width) * w),
        round((placement.top + placement.height) * h),
    )


def _count(image: Image.Image, box: tuple[int, int, int, int], test: object) -> int:
    data = image.crop(box).tobytes()
    pixels = (tuple(data[i : i + 3]) for i in range(0, len(data), 3))
    return sum(1 for pixel in pixels if test(pixel))  # type: ignore[operator]


def _dark(pixel: tuple[int, int, int]) -> bool:
    return sum(pixel) < 300


def _blue(pixel: tuple[int, int, int]) -> bool:
    r, g, b = pixel
    return b > 150 and r < 80 and g < 80


def _two_page_pdf(path: Path) -> Path:
    """Two A4 pages (the user picks the second)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    make_pdf(path, "Acte d'engagement")
    with open(path, "rb") as fh:
        writer = IncrementalPdfFileWriter(fh)
        stream = generic.StreamObject(stream_data=b"BT /F1 18 Tf 72 760 Td (Page 2) Tj ET")
        first_ref, _ = writer.find_page_for_modification(0)
        resources = first_ref.get_object()["/Resources"]
        page = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (0, 0, 595, 842)]
                ),
                generic.NameObject("/Contents"): writer.add_object(stream),
                generic.NameObject("/Resources"): resources,
            }
        )
        writer.insert_page(page)
        from io import BytesIO

        buffer = BytesIO()
        writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _scanned_signature(path: Path) -> Path:
    """A 'scanned' signature: a blue scribble on a transparent background."""
    image = Image.new("RGBA", (300, 120), (255, 255, 255, 0))
    for x in range(20, 280):
        for dy in range(-6, 7):
            y = 60 + int(30 * ((x % 60) / 60 - 0.5)) + dy
            image.putpixel((x, max(0, min(119, y))), (10, 30, 220, 255))
    image.save(path)
    return path


def test_visible_signature_at_the_chosen_place(
    tmp_path: Path, test_pki: pki.TestPki, p12_credential: Credential, p12_pin: PinCounter, pdfsig_nssdir: Path
) -> None:
    source = _two_page_pdf(tmp_path / "Acte d'engagement.pdf")
    placement = StampPlacement(page=2, left=0.10, top=0.55, width=0.50, height=0.15)
    visible = VisibleSignature(placement, image=_scanned_signature(tmp_path / "signature.png"))
    batch = sign_files(p12_credential, [source], SignFormat.PADES, visible=visible)
    assert batch.ok, batch.results[0].error
    signed = batch.results[0].output
    assert signed is not None

    report = pdfsig(signed, pdfsig_nssdir)
    assert "Signature is Valid." in report and "Certificate is Trusted." in report, report
    statuses = pyhanko_validate(signed, test_pki)
    assert len(statuses) == 1
    assert all(s.valid and s.intact and s.trusted for s in statuses)  # type: ignore[attr-defined]

    # The stamp is on page 2, inside the chosen box, and nowhere else.
    page2 = _render(signed, tmp_path / "page2", page=2)
    box = _region(page2, placement)
    inside_dark = _count(page2, box, _dark)
    assert inside_dark > 100, "no stamp text/border drawn in the chosen box"
    # the scanned signature sits in the stamp's left part, in blue
    left_part = (box[0], box[1], box[0] + (box[2] - box[0]) * 4 // 10, box[3])
    assert _count(page2, left_part, _blue) > 50
    right_part = (box[0] + (box[2] - box[0]) * 45 // 100, box[1], box[2], box[3])
    assert _count(page2, right_part, _blue) == 0
    # below the box, page 2 is blank
    below = (0, box[3] + 3, page2.size[0], page2.size[1])
    assert _count(page2, below, _dark) == 0
    # page 1 carries no stamp (only its own line of text at the top)
    page1 = _render(signed, tmp_path / "page1", page=1)
    assert _count(page1, (0, page1.size[1] // 5, page1.size[0], page1.size[1]), _dark) == 0

    # the text says who signed
    text = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(signed), "-"], capture_output=True, check=True)
    assert "Jeanne Dupont" in text.stdout.decode()


def test_text_only_stamp_on_last_page_by_default(
    tmp_path: Path, test_pki: pki.TestPki, p12_credential: Credential, pdfsig_nssdir: Path
) -> None:
    source = make_pdf(tmp_path / "Mémoire technique.pdf")
    visible = VisibleSignature()
    signed = sign_files(p12_credential, [source], SignFormat.PADES, visible=visible).results[0].output
    assert signed is not None
    assert "Signature is Valid." in pdfsig(signed, pdfsig_nssdir)
    page = _render(signed, tmp_path / "p")
    assert _count(page, _region(page, visible.placement), _dark) > 100


def test_bad_image_refused_before_the_pin(tmp_path: Path, p12_credential: Credential, p12_pin: PinCounter) -> None:
    source = make_pdf(tmp_path / "offre.pdf")
    asked = p12_pin.count  # listing a .p12's certificates already opened it
    bogus = tmp_path / "signature.png"
    bogus.write_bytes(b"not an image")
    with pytest.raises(InputFileError) as info:
        sign_files(p12_credential, [source], SignFormat.PADES, visible=VisibleSignature(image=bogus))
    assert "image lisible" in info.value.message
    assert p12_pin.count == asked
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "assistant-home") == ["offre.pdf", "signature.png"]


def test_placement_must_fit_and_settings_round_trip() -> None:
    with pytest.raises(UsageError):
        StampPlacement(left=0.8, width=0.5)
    visible = VisibleSignature(StampPlacement(page=1, left=0.1, top=0.2, width=0.3, height=0.1), Path("/x/s.png"))
    assert VisibleSignature.from_settings(visible.to_settings()) == visible
    assert VisibleSignature.from_settings({"left": "n'importe"}) == VisibleSignature()
    assert StampPlacement(page=-1).page_index(3) == 2 and StampPlacement(page=9).page_index(3) == 2
