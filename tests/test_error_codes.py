"""Every error code the assistant raises is declared in its layer's catalogue (an `errors` module's
StrEnum with the code's meaning) and documented in docs/errors.md; no raise site spells a code
as a bare string.

After adding a code to a catalogue, regenerate the documentation with
`.venv/bin/python -m tests.test_error_codes` (it rewrites docs/errors.md from the catalogues).
"""

from __future__ import annotations

import ast
import enum
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "assistant"
DOC = ROOT / "docs" / "errors.md"

#: (layer, catalogue module, enum, meanings) — one catalogue per layer.
CATALOGUES = [
    ("shared", "assistant.errors", "Code", "CODE_MEANINGS"),
    ("bridge", "assistant.bridge.errors", "BridgeCode", "MEANINGS"),
    ("commands", "assistant.commands.errors", "CommandCode", "MEANINGS"),
    ("envelopes", "assistant.envelopes.errors", "EnvelopeCode", "MEANINGS"),
    ("jobs", "assistant.jobs.errors", "JobCode", "MEANINGS"),
    ("keystores", "assistant.keystores.errors", "KeyStoreCode", "MEANINGS"),
    ("platform", "assistant.platform.errors", "PlatformCode", "MEANINGS"),
    ("prepare", "assistant.prepare.errors", "PrepareCode", "MEANINGS"),
    ("reports", "assistant.reports.errors", "ReportCode", "MEANINGS"),
    ("signing", "assistant.signing.errors", "SigningCode", "MEANINGS"),
    ("transport", "assistant.transport.errors", "TransportCode", "MEANINGS"),
    ("update", "assistant.update.errors", "UpdateCode", "MEANINGS"),
    ("autostart", "assistant.autostart.errors", "AutostartCode", "MEANINGS"),
]

#: Calls whose positional argument at this index is an error code.
POSITIONAL_CODE = {"BridgeError": 1, "batch_failed": 2, "ErrorInfo": 0}


def catalogues() -> list[tuple[str, type[enum.StrEnum], dict[enum.StrEnum, str]]]:
    out = []
    for layer, module_name, enum_name, meanings_name in CATALOGUES:
        module = importlib.import_module(module_name)
        out.append((layer, getattr(module, enum_name), getattr(module, meanings_name)))
    return out


def declared() -> dict[str, str]:
    """code -> layer."""
    codes: dict[str, str] = {}
    for layer, codes_enum, _meanings in catalogues():
        for member in codes_enum:
            assert member.value not in codes, f"{member.value!r} declared by {codes[member.value]} and {layer}"
            codes[member.value] = layer
    return codes


def _literal_codes() -> list[tuple[str, int, str, str]]:
    """(file, line, code, how) of every code spelt as a string where an error is made or read."""
    found: list[tuple[str, int, str, str]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                values = [kw.value for kw in node.keywords if kw.arg == "code"]
                if name in POSITIONAL_CODE and len(node.args) > POSITIONAL_CODE[name]:
                    values.append(node.args[POSITIONAL_CODE[name]])
                found += [
                    (rel, v.lineno, v.value, f"{name}(…)")
                    for v in values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                ]
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    target = (
                        statement.target
                        if isinstance(statement, ast.AnnAssign)
                        else (statement.targets[0] if isinstance(statement, ast.Assign) else None)
                    )
                    value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
                    if (
                        getattr(target, "id", None) == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        found.append((rel, value.lineno, value.value, f"class {node.name}"))
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        found.append((rel, value.lineno, value.value, "{'code': …}"))
    return found


def _compared_codes() -> list[tuple[str, int, str]]:
    """Codes read back as strings (`error.code == "pin_locked"`)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "code":
                for comparator in node.comparators:
                    items = comparator.elts if isinstance(comparator, ast.Tuple | ast.List | ast.Set) else [comparator]
                    found += [
                        (str(path.relative_to(ROOT)), i.lineno, i.value)
                        for i in items
                        if isinstance(i, ast.Constant) and isinstance(i.value, str)
                    ]
    return found


def test_no_raise_site_spells_a_code_as_a_string() -> None:
    literal = _literal_codes()
    assert literal == [], "declare these codes in the layer's errors catalogue and use the enum:\n" + "\n".join(
        f"  {file}:{line}: {code!r} in {how}" for file, line, code, how in literal
    )


def test_codes_read_back_are_declared() -> None:
    codes = declared()
    unknown = [(file, line, code) for file, line, code in _compared_codes() if code not in codes]
    assert unknown == []


def test_every_code_has_a_meaning_and_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for _layer, codes_enum, meanings in catalogues():
        assert set(meanings) == set(codes_enum), codes_enum.__name__
        assert all(text.strip() for text in meanings.values())
        missing = [member.value for member in codes_enum if f"`{member.value}`" not in doc]
        assert missing == [], f"not in docs/errors.md (regenerate it: python -m tests.test_error_codes): {missing}"


def render() -> str:
    lines = [
        "# Error codes",
        "",
        "Every failure that reaches a person carries a stable code (what the bridge, the JS client and the",
        "tests read) and a French message (the English one with `ASSISTANT_LANG=en`). Each layer declares",
        "its codes in one place, a `StrEnum` with the meaning of each code in its `errors` module; codes",
        "several layers share live in `assistant/errors.py`. A meaning in « » is the French message the",
        "user sees (… stands for the file, folder or detail of the case). `tests/test_error_codes.py`",
        "checks that no raise site spells a code as a bare string and that every declared code is listed",
        "here; this file is generated from the catalogues by `python -m tests.test_error_codes`.",
        "",
    ]
    for layer, codes_enum, meanings in catalogues():
        module = next(m for name, m, _e, _t in CATALOGUES if name == layer)
        lines += [f"## {layer} (`{module}.{codes_enum.__name__}`)", "", "| Code | Meaning |", "|---|---|"]
        for member in sorted(codes_enum, key=lambda m: m.value):
            lines.append(f"| `{member.value}` | {meanings[member].replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"{DOC} written")
