"""The three signature formats French public procurement accepts, and the levels we produce."""

from __future__ import annotations

import enum

from assistant.errors import UsageError
from assistant.i18n import M_
from assistant.signing.errors import SigningCode


class SignFormat(enum.StrEnum):
    PADES = "pades"
    CADES = "cades"
    XADES = "xades"

    @property
    def extension(self) -> str:
        return {"pades": ".pdf", "cades": ".p7s", "xades": ".xml"}[self.value]

    @property
    def label(self) -> str:
        """As the original assistant's confirmation screen writes it ("PADES")."""
        return self.value.upper()

    @property
    def etsi_name(self) -> str:
        """As ETSI spells the format ("PAdES", "CAdES", "XAdES"): the name every verification
        label (terminal, reports, window) is built from."""
        return {"pades": "PAdES", "cades": "CAdES", "xades": "XAdES"}[self.value]


LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
#: Levels with revocation data embedded (B-LTA adds an archive timestamp over it, in every format).
LONG_TERM_LEVELS = ("B-LT", "B-LTA")


def parse_format(value: SignFormat | str) -> SignFormat:
    """A format from a page or a job descriptor: case-insensitive, a clear error otherwise."""
    if isinstance(value, SignFormat):
        return value
    try:
        return SignFormat(str(value).strip().lower())
    except ValueError:
        raise UsageError(
            M_("Format de signature inconnu : {value}. Formats possibles : PAdES, CAdES, XAdES.", value=value),
            code=SigningCode.BAD_FORMAT,
        ) from None


def check_level(level: str, tsa_url: str | None) -> str:
    """Normalise the level and insist on a TSA from B-T up (a B-T without a timestamp is a lie)."""
    normalised = level.strip().upper()
    if normalised not in LEVELS:
        raise UsageError(
            M_(
                "Niveau de signature inconnu : {level}. Niveaux possibles : {levels}.",
                level=level,
                levels=", ".join(LEVELS),
            ),
            code=SigningCode.BAD_LEVEL,
        )
    if normalised != "B-B" and not tsa_url:
        raise UsageError(
            M_(
                "Le niveau {level} demande un service d'horodatage : indiquez son adresse (--tsa ou paramètres).",
                level=normalised,
            ),
            code=SigningCode.TSA_MISSING,
        )
    return normalised
