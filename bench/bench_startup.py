"""Cold start to a listening bridge: the installed bundle against `assistant` from the venv.

Each run is a new process (`run --headless --port 0`) on a prepared home (its bridge CA already
made, as after the first start), timed from spawn until the bridge's URL is printed (the bridge is
listening then), then stopped. Medians of RUNS. The bundle is `dist/assistant-marches-publics/`
(`make bundle`) or ASSISTANT_BUNDLE; it is installed per user (install.sh layout) first when
ASSISTANT_ARCHIVE names an archive. Figures also include the bundle's size on disk.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def _start_once(cmd: list[str], home: Path) -> float:
    env = os.environ | {"ASSISTANT_HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "run", "--headless", "--port", "0", "--no-http"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.terminate()
    proc.wait(timeout=30)
    if not line.startswith("https://"):
        raise RuntimeError(f"{cmd} did not start: {line!r}")
    return elapsed


def _median(cmd: list[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        _start_once(cmd, home)  # first start makes the bridge CA: not part of the figure
        return statistics.median(_start_once(cmd, home) for _ in range(RUNS))


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _install(archive: Path, home: Path) -> Path:
    """`tar xf` + `install.sh --user --no-autostart` into a scratch HOME: the launcher it made."""
    unpacked = home / "download"
    unpacked.mkdir(parents=True)
    subprocess.run(["tar", "-xf", str(archive), "-C", str(unpacked)], check=True)
    (folder,) = list(unpacked.iterdir())
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    subprocess.run(
        ["sh", str(folder / "install.sh"), "--user", "--no-autostart"], env=env, check=True, capture_output=True
    )
    return home / ".local" / "bin" / "assistant-marches-publics"


def main() -> dict[str, object]:
    bundle = Path(os.environ.get("ASSISTANT_BUNDLE", ROOT / "dist" / "assistant-marches-publics"))
    archive = os.environ.get("ASSISTANT_ARCHIVE")
    venv_cmd = [str(Path(sys.executable).parent / "assistant")]
    figures: dict[str, object] = {"runs": RUNS, "load_average": os.getloadavg()}
    figures["venv_start_median_s"] = round(_median(venv_cmd), 3)
    with tempfile.TemporaryDirectory() as scratch:
        if archive:
            launcher = _install(Path(archive), Path(scratch))
            bundle = launcher.resolve().parent
            figures["archive_bytes"] = Path(archive).stat().st_size
            figures["installed_start_median_s"] = round(_median([str(launcher)]), 3)
        elif (bundle / "assistant").is_file():
            figures["bundle_start_median_s"] = round(_median([str(bundle / "assistant")]), 3)
        if (bundle / "assistant").is_file():
            figures["bundle_size_on_disk_bytes"] = _size(bundle)
    figures["load_average_after"] = os.getloadavg()
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
