"""A visible PAdES signature: a stamp with the signer's name, the date and, optionally, a scanned
handwritten signature, at the place the user chose on the page they chose.

The place is kept as fractions of the page (left, top, width, height, from the top-left corner as
the user sees it in the preview), so the same choice fits A4, Letter or a landscape page and can be
remembered in the settings for next time. pyHanko draws the stamp (its `TextStampStyle`) into the
signature field's appearance: the stamp is part of the signed revision, and the cryptographic
signature is the same as an invisible one (validators judge it identically).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import Code, InputFileError, UsageError
from assistant.i18n import M_, N_, _
from assistant.signing.errors import SigningCode

#: What the stamp says, in the signer's language. `%(signer)s` is the certificate holder's name,
#: `%(ts)s` the signing time.
STAMP_TEXT = N_("Signé électroniquement par\n%(signer)s\nle %(ts)s")
DATE_FORMAT = N_("%d/%m/%Y à %H:%M %Z")
#: Settings key under which the last placement is remembered.
SETTINGS_KEY = "signature_stamp"
MAX_IMAGE_BYTES = 8 << 20  # a scanned signature is a few hundred KB


@dataclass(frozen=True)
class StampPlacement:
    """Where the stamp goes. `page` counts from 1; 0 or negative count from the end (-1: last page).

    `left`, `top`, `width`, `height` are fractions (0..1) of the page's visible box, from its
    top-left corner, as the preview shows the page.
    """

    page: int = -1
    left: float = 0.55
    top: float = 0.80
    width: float = 0.38
    height: float = 0.12

    def __post_init__(self) -> None:
        values = (self.left, self.top, self.width, self.height)
        if any(not isinstance(v, int | float) for v in values) or isinstance(self.page, bool):
            raise _bad_placement()
        if self.width <= 0.02 or self.height <= 0.02:
            raise _bad_placement()
        if self.left < 0 or self.top < 0 or self.left + self.width > 1.0001 or self.top + self.height > 1.0001:
            raise _bad_placement()

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "left": self.left, "top": self.top, "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, data: Any) -> StampPlacement:
        """From the settings; anything unusable falls back to the default place (never an error)."""
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(
                page=int(data.get("page", -1)),
                left=float(data.get("left", 0.55)),
                top=float(data.get("top", 0.80)),
                width=float(data.get("width", 0.38)),
                height=float(data.get("height", 0.12)),
            )
        except (TypeError, ValueError, UsageError):
            return cls()

    def page_index(self, page_count: int) -> int:
        """0-based index of the chosen page in a document of `page_count` pages (clamped)."""
        if page_count <= 0:
            return 0
        index = self.page - 1 if self.page > 0 else page_count + self.page
        return min(max(index, 0), page_count - 1)

    def box_on(self, media_box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """The stamp's rectangle in PDF user space (origin bottom-left) for a page's box."""
        x0, y0, x1, y1 = media_box
        page_w, page_h = x1 - x0, y1 - y0
        left = x0 + self.left * page_w
        right = left + self.width * page_w
        top = y1 - self.top * page_h
        bottom = top - self.height * page_h
        return round(left), round(bottom), round(right), round(top)


@dataclass(frozen=True)
class VisibleSignature:
    """A visible stamp: where, and with which optional scanned signature image (PNG or JPEG)."""

    placement: StampPlacement = StampPlacement()
    image: Path | None = None
    #: Overrides the name read from the certificate (e.g. "Jeanne Dupont, gérante").
    signer_name: str | None = None

    def check(self) -> None:
        """Refuse an unusable image before any PIN is asked."""
        if self.image is None:
            return
        path = Path(self.image)
        if not path.is_file():
            raise InputFileError(
                M_("Image de signature introuvable : {path}", path=path),
                code=Code.FILE_NOT_FOUND,
            )
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise InputFileError(
                M_("L'image de signature {name} est trop lourde (8 Mo au plus).", name=path.name),
                code=SigningCode.STAMP_IMAGE_TOO_LARGE,
            )
        _load_image(path)

    def to_settings(self) -> dict[str, Any]:
        data = self.placement.to_dict()
        data["image"] = str(self.image) if self.image else ""
        return data

    @classmethod
    def from_settings(cls, data: Any) -> VisibleSignature:
        image = data.get("image") if isinstance(data, dict) else None
        return cls(StampPlacement.from_dict(data), Path(image) if isinstance(image, str) and image else None)


def _bad_placement() -> UsageError:
    return UsageError(
        M_("Emplacement de la signature visible invalide : il doit tenir dans la page."),
        code=SigningCode.STAMP_PLACEMENT_INVALID,
    )


def _load_image(path: Path) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        opened = Image.open(path)
        opened.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputFileError(
            M_("{name} n'est pas une image lisible (PNG ou JPEG attendu).", name=path.name),
            code=SigningCode.STAMP_IMAGE_UNREADABLE,
        ) from exc
    if opened.mode in ("RGB", "L"):
        return opened
    # Transparency is flattened on white: the stamp's background is white anyway.
    background = Image.new("RGB", opened.size, (255, 255, 255))
    rgba = opened.convert("RGBA")
    background.paste(rgba, mask=rgba.split()[3])
    return background


def latin_text(text: str) -> str:
    """The stamp's standard font (Courier, WinAnsi) knows Latin-1: accents stay, others are folded."""
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(folded or "?")
    return "".join(out)


def field_spec(writer: Any, visible: VisibleSignature, field_name: str) -> Any:
    """pyHanko's SigFieldSpec for a new visible field on the chosen page of `writer`'s document."""
    from pyhanko.sign.fields import SigFieldSpec

    pages = writer.root["/Pages"]
    count = int(pages["/Count"])
    index = visible.placement.page_index(count)
    page_ref, _resources = writer.find_page_for_modification(index)
    page = page_ref.get_object()
    box = page.get("/CropBox") or _inherited(page, "/MediaBox")
    coords = tuple(float(v) for v in box)
    assert len(coords) == 4
    return SigFieldSpec(sig_field_name=field_name, on_page=index, box=visible.placement.box_on(coords))  # type: ignore[arg-type]


def _inherited(page: Any, key: str) -> Any:
    node = page
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return [0, 0, 595, 842]


def stamp_style(visible: VisibleSignature, box: tuple[int, int, int, int]) -> Any:
    """The stamp: text on the right, the scanned signature (if any) on the left third."""
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.stamp import TextStampStyle

    width = box[2] - box[0]
    common: dict[str, Any] = {
        "stamp_text": _(STAMP_TEXT),
        "timestamp_format": _(DATE_FORMAT),
        "border_width": 1,
    }
    if visible.image is None:
        return TextStampStyle(
            **common,
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins(left=6, right=6, top=4, bottom=4),
                inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
            ),
        )
    image_part = max(int(width * 0.38), 10)
    return TextStampStyle(
        **common,
        background=PdfImage(_load_image(Path(visible.image))),
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(left=4, right=width - image_part, top=4, bottom=4),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(left=image_part + 6, right=6, top=4, bottom=4),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )


def text_params(visible: VisibleSignature, certificate_name: str) -> dict[str, str]:
    return {"signer": latin_text(visible.signer_name or certificate_name)}
