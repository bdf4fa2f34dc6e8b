"""`assistant download` in a terminal: the summary after a download, each figure said once, in
French by default. Against the demo platform as a separate process."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import DemoProcess, assistant_cmd, assistant_env


def test_the_summary_says_each_figure_once(demo_platform: DemoProcess, tmp_path: Path) -> None:
    dest = tmp_path / "Plis"
    result = subprocess.run(
        assistant_cmd(
            "download",
            f"{demo_platform.url}/api/descriptors/download?consultation=DEMO-2026-001",
            "--dest",
            str(dest),
            "--quiet",
        ),
        env={**assistant_env(demo_platform.home), "LANG": "fr_FR.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith(" : terminé."), lines
    details = [line for line in lines[1:] if line.startswith("  ")]
    assert any(line.startswith("  connexions simultanées : ") for line in details), lines
    assert f"  dossier : {dest}" in details, lines
    assert len(details) == len(set(details)), lines  # once each (a merge had printed every line twice)
