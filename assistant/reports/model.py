"""The document model every report is built from: small, frozen, and independent of its rendering."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Tone(enum.Enum):
    """How a paragraph should stand out: a verdict is green or red in HTML, bold in the PDF."""

    NORMAL = "normal"
    GOOD = "good"
    WARNING = "warning"
    BAD = "bad"


@dataclass(frozen=True)
class Paragraph:
    text: str
    tone: Tone = Tone.NORMAL

    def to_dict(self) -> dict[str, Any]:
        return {"type": "paragraph", "text": self.text, "tone": self.tone.value}


@dataclass(frozen=True)
class KeyValues:
    """A two-column table: label, value (one row per fact)."""

    rows: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "table", "rows": [[key, value] for key, value in self.rows]}


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"type": "section", "title": self.title, "blocks": [b.to_dict() for b in self.blocks]}


Block = Paragraph | KeyValues | Section


@dataclass(frozen=True)
class Document:
    title: str
    blocks: tuple[Block, ...] = ()
    subtitle: str = ""
    language: str = "fr"
    footer: str = ""  # e.g. "Généré par Assistant Marchés Publics 1.2 le 04/12/2026 17:02 UTC"
    metadata: tuple[tuple[str, str], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "language": self.language,
            "footer": self.footer,
            "blocks": [b.to_dict() for b in self.blocks],
        }
