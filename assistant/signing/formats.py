"""The three signature formats French public procurement accepts, and the levels we produce."""

from __future__ import annotations

import enum

from assistant.errors import UsageError


class SignFormat(enum.StrEnum):
    PADES = "pades"
    CADES = "cades"
    XADES = "xades"

    @property
    def extension(self) -> str:
        return {"pades": ".pdf", "cades": ".p7s", "xades": ".xml"}[self.value]

    @property
    def label(self) -> str:
        """As the original assistant's confirmation screen writes it."""
        return self.value.upper()


LEVELS = ("B-B", "B-T")


def parse_format(value: SignFormat | str) -> SignFormat:
    """A format from a page or a job descriptor: case-insensitive, a clear error otherwise."""
    if isinstance(value, SignFormat):
        return value
    try:
        return SignFormat(str(value).strip().lower())
    except ValueError:
        raise UsageError(
            f"Format de signature inconnu : {value}. Formats possibles : PAdES, CAdES, XAdES.",
            f"Unknown signature format: {value}. Possible formats: PAdES, CAdES, XAdES.",
            code="bad_format",
        ) from None


def check_level(level: str, tsa_url: str | None) -> str:
    """Normalise the level and insist on a TSA for B-T (a B-T without a timestamp is a lie)."""
    normalised = level.strip().upper()
    if normalised not in LEVELS:
        raise UsageError(
            f"Niveau de signature inconnu : {level}. Niveaux possibles : {', '.join(LEVELS)}.",
            f"Unknown signature level: {level}. Possible levels: {', '.join(LEVELS)}.",
            code="bad_level",
        )
    if normalised == "B-T" and not tsa_url:
        raise UsageError(
            "Le niveau B-T demande un service d'horodatage : indiquez son adresse (--tsa ou paramètres).",
            "Level B-T needs a timestamp authority: give its URL (--tsa or settings).",
            code="tsa_missing",
        )
    return normalised
