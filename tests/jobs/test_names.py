"""Names a page gives become path components: checked as they will be used, after NFC and strip."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from assistant.jobs.descriptor import DescriptorError, parse_descriptor, safe_name
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.names import WINDOWS_DEVICE_NAMES, is_device_name

ORIGIN = "https://marches.example.fr"

DEVICES = [
    "CON",
    "prn",
    "Aux",
    "nul",
    "NUL.txt",
    "con.tar.gz",
    " con",
    "con ",
    "con .txt",
    "\tCON\n",
    *(f"COM{d}" for d in "0123456789"),
    *(f"lpt{d}.log" for d in "0123456789"),
    "COM¹",
    "com²",
    "LPT³.txt",
    "lpt¹",
    "CONIN$",
    "conout$.txt",
    "Clock$",
    "CLOCK$.dat",
]


@pytest.mark.parametrize("name", DEVICES)
def test_windows_device_names_are_refused_whatever_the_case_spaces_and_extension(name: str) -> None:
    with pytest.raises(DescriptorError) as info:
        safe_name(name, "params.consultations[0].id")
    assert info.value.code == "descriptor_unsafe_name"
    assert info.value.field == "params.consultations[0].id"
    assert "dangereux" in info.value.message_fr


def test_the_device_list_is_complete() -> None:
    expected = {"con", "prn", "aux", "nul", "conin$", "conout$", "clock$"}
    expected |= {f"{p}{d}" for p in ("com", "lpt") for d in [*"0123456789", "¹", "²", "³"]}
    assert expected == WINDOWS_DEVICE_NAMES
    assert not is_device_name("console.txt") and not is_device_name("com10") and not is_device_name("conin")


BIDI_AND_CONTROLS = [
    "facture\u202efdp.exe",
    "a\u202ab",
    "a\u202bb",
    "a\u202cb",
    "a\u202db",
    "a\u2066b",
    "a\u2067b",
    "a\u2068b",
    "a\u2069b",
    "a\u200eb",
    "a\u200fb",
    "a\u061cb",
    "a\x00b",
    "a\x1fb",
    "a\x7fb",
    "a\x85b",
    "a\x9fb",
    "a\ud800b",
    "a/b",
    "a\\b",
    "a:b",
    "a*b",
    "a?b",
    'a"b',
    "a<b",
    "a>b",
    "a|b",
    ".",
    "..",
    "..cache",
    "fin.",
    "fin . ",
    "",
    "   ",
    "x" * 181,
]


@pytest.mark.parametrize("name", BIDI_AND_CONTROLS)
def test_bidi_controls_control_characters_and_separators_are_refused(name: str) -> None:
    with pytest.raises(DescriptorError):
        safe_name(name, "params.platform")


@pytest.mark.parametrize(
    ("name", "used"),
    [
        ("  Offre 1 ", "Offre 1"),
        ("Pli n°2", "Pli n°2"),
        ("Lot 1 — Électricité", "Lot 1 — Électricité"),
        ("E\u0301tude", "Étude"),  # decomposed é becomes the composed one (NFC)
        ("console", "console"),
        ("com10", "com10"),
        ("نقطة", "نقطة"),  # right-to-left text itself is fine; only the invisible controls are not
    ],
)
def test_good_names_come_back_as_they_will_be_used(name: str, used: str) -> None:
    result = safe_name(name, "params.platform")
    assert result == used
    assert unicodedata.is_normalized("NFC", result)


def _download(**file: Any) -> dict[str, Any]:
    entry = {"name": "offre.zip", "url": f"{ORIGIN}/f/1", "size": 10, "sha256": "ab" * 32, **file}
    return {
        "version": 1,
        "type": "download",
        "token": "tok-123",
        "params": {
            "consultations": [{"id": "C1", "plis": [{"id": "P1", "envelopes": [{"id": "E1", "files": [entry]}]}]}]
        },
    }


@pytest.mark.parametrize(
    ("descriptor", "field"),
    [
        (_download(name="offre\ud800.zip"), "params.consultations[0].plis[0].envelopes[0].files[0].name"),
        ({"version": 1, "type": "diagnose", "label": "\udfff", "params": {}}, "label"),
        ({"version": 1, "type": "diagnose", "params": {"\ud83d": 1}}, "params"),
    ],
)
def test_lone_surrogates_anywhere_are_refused_naming_the_field(descriptor: dict[str, Any], field: str) -> None:
    with pytest.raises(DescriptorError) as info:
        parse_descriptor(descriptor, ORIGIN)
    assert info.value.field == field
    assert info.value.code == "descriptor_invalid_unicode"
    info.value.message_fr.encode("utf-8")  # the error itself can be sent back


def test_a_job_the_journal_cannot_record_never_exists(assistant_home: Any) -> None:
    """The journal fails (its database is closed under it): the submit fails, no job stays in memory
    with its token, and the list of jobs still answers."""
    engine = JobEngine(interaction=HeadlessInteraction(), workers=1)
    try:
        engine.journal.close()
        with pytest.raises(Exception) as info:
            engine.submit({"version": 1, "type": "diagnose", "token": "t" * 20, "params": {}}, ORIGIN)
        assert getattr(info.value, "code", None) == "journal_failed"
        assert "pas lancé" in getattr(info.value, "message_fr", "")
        assert engine.jobs() == [] and engine.jobs(ORIGIN) == []
        assert engine._tokens == {}
    finally:
        engine.shutdown(wait=False)
