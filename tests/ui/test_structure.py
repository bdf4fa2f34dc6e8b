"""The window's pieces receive what they need, and its dialogs live in modules of their own.

(Import circles, the window's included, are checked for the whole package by tests/test_structure.py.)
"""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "assistant" / "ui"


def test_pages_do_not_reach_into_the_engine_interaction() -> None:
    for path in (UI / "pages").rglob("*.py"):
        assert "engine.interaction" not in path.read_text(encoding="utf-8"), path.name


def test_dialogs_live_in_modules_of_their_own() -> None:
    tree = ast.parse((UI / "interaction.py").read_text(encoding="utf-8"))
    classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    assert classes == ["QtUserInteraction"]
