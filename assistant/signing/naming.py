"""Output names the platforms and their users already know.

The original assistant writes `0-Lettre informative - 20201102144025 - Signature 1.pdf` (PAdES:
the PDF's stem), `COMPLEMENT.zip - 20201102144027 - Signature 1.xml` (XAdES) and
`Offre_Lot3.zip - 20201102144030 - Signature 1.p7s` (CAdES: the whole file name). Buyers sort and
match signatures by these names, so we follow them exactly. The number counts the signatures already
beside the file, so a co-signature becomes `Signature 2` and never overwrites the first one.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from assistant.signing.formats import SignFormat

_STAMP = "%Y%m%d%H%M%S"
#: "BASE - 20201102144025 - Signature 1.ext" (and the older "BASE - Signature 1.ext").
_SIGNED_NAME = re.compile(r"^(?P<base>.+?)(?: - (?P<ts>\d{14}))? - Signature (?P<n>\d+)(?P<ext>\.[^.]+)$")


def base_name(source: Path, fmt: SignFormat) -> str:
    """What goes before " - TIMESTAMP - Signature N".

    For PAdES the output replaces the PDF, so the base is the stem; when the source is itself a
    signed PDF named by us ("X - … - Signature 1.pdf"), the base goes back to "X" so that the
    co-signature is "X - … - Signature 2.pdf" rather than a growing chain of suffixes.
    """
    if fmt is SignFormat.PADES:
        match = _SIGNED_NAME.match(source.name)
        if match and match.group("ext").lower() == ".pdf":
            return match.group("base")
        return source.stem
    return source.name


def signature_number_in_name(name: str) -> int:
    """The N of "… - Signature N.ext", or 0 when the name carries none."""
    match = _SIGNED_NAME.match(name)
    return int(match.group("n")) if match else 0


def existing_signatures(folder: Path, base: str, extension: str) -> int:
    """Highest signature number already present in `folder` for `base` (0 when none)."""
    highest = 0
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        match = _SIGNED_NAME.match(entry.name)
        if match and match.group("base") == base and match.group("ext").lower() == extension.lower():
            highest = max(highest, int(match.group("n")))
    return highest


def output_path(
    source: Path,
    fmt: SignFormat,
    folder: Path,
    *,
    when: dt.datetime | None = None,
    already_signed: int = 0,
) -> Path:
    """The next free output name in `folder`.

    `already_signed` lets the PAdES signer add the signatures it found inside the PDF, so that
    co-signing a PDF that was renamed by the user still says "Signature 2". The caller still
    creates the file without overwriting (see `assistant.signing.output`): this is only the name.
    """
    when = when or dt.datetime.now().astimezone()
    base = base_name(source, fmt)
    ext = fmt.extension
    number = max(
        existing_signatures(folder, base, ext),
        existing_signatures(source.parent, base, ext),
        signature_number_in_name(source.name) if fmt is SignFormat.PADES else 0,
        already_signed,
    )
    return folder / format_name(base, when, number + 1, ext)


def format_name(base: str, when: dt.datetime, number: int, extension: str) -> str:
    return f"{base} - {when.strftime(_STAMP)} - Signature {number}{extension}"


def next_number_name(path: Path) -> Path:
    """The same name with the signature number plus one (when a name was taken meanwhile)."""
    match = _SIGNED_NAME.match(path.name)
    if not match:
        return path.with_name(path.stem + " (2)" + path.suffix)
    ts = match.group("ts")
    middle = f" - {ts}" if ts else ""
    return path.with_name(f"{match.group('base')}{middle} - Signature {int(match.group('n')) + 1}{match.group('ext')}")
