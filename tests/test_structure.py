"""The package structure, read from the sources (an AST scan):

- each package's `__init__.py` states its public names (`__all__`), and each of them exists (a
  package that loads its names on first use through a module `__getattr__` is imported to ask);
- nothing outside a package imports its private (`_x`) names or modules;
- no import circle between the assistant's modules, whether the imports run at import time or
  later inside a function (a deferred import only hides a circle).

Imports under `if TYPE_CHECKING:` never run and do not count. A module importing one of its own
parent packages is not a circle (Python runs the parent's `__init__` first anyway). `_` is
gettext's function, not a private name. tests/ui/test_structure.py checks the window's own rules.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "assistant"


@dataclass(frozen=True)
class Import:
    module: str  # the module named in the statement
    names: tuple[str, ...]  # the names of a `from … import …`
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _package_of(module: str) -> str:
    return module if _is_package(module) else module.rsplit(".", 1)[0]


def _imports(path: Path) -> list[Import]:
    found: list[Import] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append(Import(child.module, tuple(a.name for a in child.names), child.lineno))
            elif isinstance(child, ast.Import):
                found.extend(Import(a.name, (), child.lineno) for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return [i for i in found if i.module == "assistant" or i.module.startswith("assistant.")]


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name != "_"


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_every_package_states_its_public_names() -> None:
    problems = []
    for module, path in MODULES.items():
        if not _is_package(module):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exported: list[str] | None = None
        defined: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                exported = list(ast.literal_eval(node.value))
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                defined.update(t.id for t in targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.ImportFrom | ast.Import):
                defined.update((a.asname or a.name).split(".")[0] for a in node.names)
        if exported is None:
            problems.append(f"{module}: no __all__")
            continue
        missing = [n for n in exported if n not in defined and f"{module}.{n}" not in MODULES]
        if missing and "__getattr__" in defined:
            # A package that loads its names on first use (PEP 562) must still give each of them.
            package = importlib.import_module(module)
            missing = [n for n in missing if not hasattr(package, n)]
        if missing:
            problems.append(f"{module}: __all__ names what does not exist: {missing}")
    assert problems == []


def test_no_private_name_is_imported_from_outside_its_package() -> None:
    found = []
    for module, path in MODULES.items():
        here = _package_of(module)
        for imp in _imports(path):
            segments = imp.module.split(".")
            for index, segment in enumerate(segments):
                owner = ".".join(segments[:index])
                if _is_private(segment) and not _inside(here, owner):
                    found.append(f"{module}:{imp.line} imports the private module {imp.module}")
            for name in imp.names:
                if not _is_private(name):
                    continue
                owner = f"{imp.module}.{name}" if f"{imp.module}.{name}" in MODULES else imp.module
                owner_package = _package_of(owner) if owner in MODULES else imp.module.rsplit(".", 1)[0]
                if f"{imp.module}.{name}" in MODULES:
                    owner_package = imp.module  # a private submodule belongs to its package
                if not _inside(here, owner_package):
                    found.append(f"{module}:{imp.line} imports {name} from {imp.module}")
    assert found == []


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets: set[str] = set()
        for imp in _imports(path):
            for name in imp.names:
                if f"{imp.module}.{name}" in MODULES:
                    targets.add(f"{imp.module}.{name}")
            if imp.module in MODULES and (not imp.names or not all(f"{imp.module}.{n}" in MODULES for n in imp.names)):
                targets.add(imp.module)
        # Importing one's own parent package is what Python does first anyway: not a circle.
        graph[module] = {t for t in targets if t != module and not (_is_package(t) and _inside(module, t))}
    return graph


def test_no_import_circle() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    assert circles == []
