"""Sizes in words: one formatting for the window, the terminal and the messages.

French first, as the user reads it: a decimal comma, one decimal place when it says something
("745,6 Ko", "2 Mo"), binary multiples with the French unit names (o, Ko, Mo, Go, To).
"""

from __future__ import annotations

__all__ = ["format_size"]

_UNITS = {"fr": ("o", "Ko", "Mo", "Go", "To"), "en": ("B", "KB", "MB", "GB", "TB")}


def format_size(size: float, lang: str = "fr") -> str:
    """ "745,6 Ko", "2 Mo", "512 o" (`lang="en"`: "745.6 KB")."""
    units = _UNITS["en" if lang.startswith("en") else "fr"]
    value = float(size)
    for unit in units:
        if abs(value) < 1024 or unit == units[-1]:
            text = str(int(value)) if unit == units[0] else f"{value:.1f}".removesuffix(".0")
            return f"{text.replace('.', ',') if units is _UNITS['fr'] else text} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
