"""200 % as Qt's high-DPI scaling does it (QT_SCALE_FACTOR=2) on a 2048×1400 screen: every page
and three download cards keep each control at its size hint, with nothing off the screen.

The factor must be known before the QApplication exists, so the window runs in its own process
(tests/ui/scaled_window.py) under its own Xvfb screen; the demo platform is a third process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import ROOT, DemoProcess
from tests.pki import require_tool


def test_every_page_and_three_cards_at_qt_scale_factor_2(
    demo_platform: DemoProcess, assistant_home: Path, tmp_path: Path
) -> None:
    require_tool("xvfb-run")
    out = tmp_path / "scaled"
    out.mkdir()
    env = {
        **os.environ,
        "QT_SCALE_FACTOR": "2",
        "QT_QPA_PLATFORM": "xcb",
        "ASSISTANT_HOME": str(assistant_home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DISPLAY", None)  # its own X server, of the size the test is about
    result = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 2048x1400x24",
            sys.executable,
            "-m",
            "tests.ui.scaled_window",
            demo_platform.url,
            str(out),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # Qt really draws at 200 %: two device pixels per logical one, the screen 1024×700 logical.
    assert report["device_pixel_ratio"] == 2.0
    assert report["screen"] == [1024, 700]
    assert report["cards_asking"] == 2  # the engine runs two at a time; the third waits its turn
    assert report["problems"] == [], "\n".join(report["problems"])
    for name in ("home", "sign", "jobs", "settings", "three-cards"):
        assert (out / f"{name}-200.png").stat().st_size > 1000
