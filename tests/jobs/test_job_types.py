"""Job types are listed once (jobs.model.JobType with its JOB_KINDS row, and the runner in
jobs.registry.RUNNERS): every other table is derived from them, a half-registered type stops the
import, and no module keeps a hand-made list of the types that a new one could miss."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.bridge.api import CAPABILITIES
from assistant.i18n import _, set_language
from assistant.jobs import descriptor
from assistant.jobs.descriptor import PARAMS_TYPES, DescriptorError, parse_descriptor
from assistant.jobs.journal import RESULT_TYPES
from assistant.jobs.model import JOB_KINDS, JobType, check_complete
from assistant.jobs.registry import RUNNERS
from assistant.ui.labels import JOB_TITLES

PACKAGE = Path(__file__).resolve().parents[2] / "assistant"
#: The two tables a new job type is added to (and the enum itself).
THE_TABLES = {("jobs/model.py", "JOB_KINDS"), ("jobs/registry.py", "RUNNERS")}
#: Lists that name some types for another reason: the command line's subcommands (sign, verify…
#: are commands too), the runner modules, the descriptor's rule for the types with two ways to
#: give their files (a rule about some types, not a list of all).
NOT_TYPE_LISTS = {
    ("cli.py", "COMMANDS"),
    ("commands/__init__.py", "__all__"),
    ("jobs/runners/__init__.py", "__all__"),
    ("jobs/descriptor.py", "groups"),
}


def test_every_table_covers_every_job_type() -> None:
    types = set(JobType)
    assert set(JOB_KINDS) == set(RUNNERS) == set(PARAMS_TYPES) == set(RESULT_TYPES) == types
    assert set(CAPABILITIES) == set(JOB_TITLES) == {t.value for t in JobType}
    for job_type, kind in JOB_KINDS.items():
        assert RUNNERS[job_type].params is kind.params is PARAMS_TYPES[job_type]
        assert RESULT_TYPES[job_type] is kind.result
        assert job_type.title_fr == kind.title == JOB_TITLES[job_type.value]


def test_a_half_registered_type_stops_the_import() -> None:
    # What jobs.model and jobs.registry run when they load, given a table missing one type.
    half = {t: JOB_KINDS[t] for t in JobType if t is not JobType.PREPARE}
    with pytest.raises(RuntimeError, match="no entry for prepare"):
        check_complete(half, "a table")
    check_complete(JOB_KINDS, "the table")  # the real one is whole


def test_every_type_has_its_descriptor_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    # The descriptor's checks are per type; a type without them is refused, not given another's.
    ctx = descriptor._Ctx(local=True, policy=descriptor.UrlPolicy(origin="https://platform.example"))
    for job_type in JobType:
        descriptor._params_for(job_type, ctx)
    with pytest.raises(DescriptorError):
        descriptor._params_for("stamp", ctx)  # type: ignore[arg-type]
    with pytest.raises(DescriptorError) as refused:
        parse_descriptor({"version": 1, "type": "stamp", "params": {}}, "https://platform.example")
    assert refused.value.field == "type"


def _job_type_lists(path: Path) -> list[str]:
    """Literal collections naming three job types or more (JobType.X or their values)."""
    values = {t.value for t in JobType}
    names = {t.name for t in JobType}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assigned = {
        id(node.value): target.id
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in ([node.target] if isinstance(node, ast.AnnAssign) else node.targets)
        if isinstance(target, ast.Name) and node.value is not None
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None]
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = node.elts
        else:
            continue
        hits = sum(
            1
            for item in items
            if (isinstance(item, ast.Constant) and item.value in values)
            or (isinstance(item, ast.Attribute) and item.attr in names and getattr(item.value, "id", "") == "JobType")
        )
        if hits >= 3:
            found.append((path.relative_to(PACKAGE).as_posix(), assigned.get(id(node), f"line {node.lineno}")))
    return found


def test_no_module_lists_the_job_types_by_hand() -> None:
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _job_type_lists(path)]
    hand_made = [hit for hit in found if hit not in THE_TABLES | NOT_TYPE_LISTS]
    assert hand_made == [], f"derive these from jobs.model.JOB_KINDS: {hand_made}"
    assert set(found) >= THE_TABLES  # the scan sees the tables themselves


def test_the_type_names_are_in_the_catalogue() -> None:
    try:
        set_language("en")
        assert _(JobType.SIGN.title_fr) == "Electronic signature"
        assert all(_(kind.title) != kind.title for kind in JOB_KINDS.values())
    finally:
        set_language("fr")
