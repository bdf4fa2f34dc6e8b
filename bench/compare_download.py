"""Download speed of two source trees side by side (before/after a change to the transfers).

    .venv/bin/python -m bench.compare_download /tmp/before-tree [sets...]

`/tmp/before-tree` holds the `assistant` package to compare with (e.g. `git archive <commit>
assistant | tar -x -C /tmp/before-tree`). On the files and demo platform of bench_download, each
repetition runs, interleaved so that a burst of load from the rest of the machine hits both alike:
`assistant download` as a fresh process (start-up included) with this tree, then with the other,
then the same job in an engine already started (`bench/download_job.py`: the product's path, a
page queuing the job to the running assistant; the figure excludes start-up) with this tree, then
with the other. Medians of BENCH_DOWNLOAD_REPEAT runs (default 5), and the load average before and
after each set. Sets: small, small-10ms, large, https-small, https-large (default: all), and
`loop`: the platform client alone (`bench/download_loop.py`, one thread, one file after the other,
no engine or journal), the per-request cost of the two trees on 500 small files.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import bench_download as bd

ROOT = Path(__file__).resolve().parents[1]
ALL = ("small", "small-10ms", "large", "https-small", "https-large", "loop")


def _env(home: Path, tree: Path) -> dict[str, str]:
    env = bd._env(home)
    env["PYTHONPATH"] = f"{tree}{os.pathsep}{ROOT}"  # `assistant` from `tree`, `bench` from here
    return env


def _compare(url: str, consultation: str, out: Path, other: Path, ca: Path | None) -> dict[str, Any]:
    descriptor = bd._descriptor(url, consultation, ca)
    desc_file = bd.WORK / "descriptor.json"
    desc_file.write_text(json.dumps(descriptor))
    home = bd.WORK / "home"
    trees = {"after": ROOT, "before": other}
    runs: dict[str, list[float]] = {
        f"{mode}_{label}_{kind}": [] for mode in ("process", "job") for label in trees for kind in ("s", "cpu_s")
    }
    load_before = os.getloadavg()

    def fresh() -> None:
        bd._clean(out)
        shutil.rmtree(home, ignore_errors=True)
        bd._trust(home, ca)

    for _ in range(bd.REPEAT):
        for label, tree in trees.items():
            fresh()
            cmd = [
                sys.executable,
                "-m",
                "assistant",
                "download",
                str(desc_file),
                "--dest",
                str(out),
                "--quiet",
                "--connections",
                str(bd.CONNECTIONS),
            ]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs[f"process_{label}_s"].append(bd._timed(cmd, env=_env(home, tree)))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs[f"process_{label}_cpu_s"].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        for label, tree in trees.items():
            fresh()
            job = [
                sys.executable,
                "-m",
                "bench.download_job",
                str(desc_file),
                str(out),
                str(ca or ""),
                str(bd.CONNECTIONS),
            ]
            answer = subprocess.run(job, env=_env(home, tree), check=True, capture_output=True, text=True)
            wall, cpu = answer.stdout.strip().splitlines()[-1].split()
            runs[f"job_{label}_s"].append(float(wall))
            runs[f"job_{label}_cpu_s"].append(float(cpu))
    figures: dict[str, Any] = {key: round(statistics.median(values), 3) for key, values in runs.items()}
    figures["runs_s"] = {key: [round(v, 3) for v in values] for key, values in runs.items()}
    for mode in ("process", "job"):
        for kind in ("s", "cpu_s"):
            figures[f"{mode}_{kind}_after_vs_before"] = round(
                figures[f"{mode}_after_{kind}"] / figures[f"{mode}_before_{kind}"], 3
            )
    figures["load_average_before"] = [round(x, 2) for x in load_before]
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    bd._clean(out)
    return figures


def _compare_loop(url: str, out: Path, other: Path) -> dict[str, Any]:
    descriptor = bd._descriptor(url, "BENCH-SMALL", None)
    desc_file = bd.WORK / "descriptor.json"
    desc_file.write_text(json.dumps(descriptor))
    home = bd.WORK / "home"
    trees = {"after": ROOT, "before": other}
    runs: dict[str, list[float]] = {f"loop_{label}_{kind}": [] for label in trees for kind in ("s", "cpu_s")}
    load_before = os.getloadavg()
    for _ in range(bd.REPEAT):
        for label, tree in trees.items():
            bd._clean(out)
            answer = subprocess.run(
                [sys.executable, "-m", "bench.download_loop", str(desc_file), str(out)],
                env=_env(home, tree),
                check=True,
                capture_output=True,
                text=True,
            )
            wall, cpu = answer.stdout.strip().splitlines()[-1].split()
            runs[f"loop_{label}_s"].append(float(wall))
            runs[f"loop_{label}_cpu_s"].append(float(cpu))
    figures: dict[str, Any] = {key: round(statistics.median(values), 3) for key, values in runs.items()}
    figures["runs_s"] = {key: [round(v, 3) for v in values] for key, values in runs.items()}
    for kind in ("s", "cpu_s"):
        figures[f"loop_{kind}_after_vs_before"] = round(
            figures[f"loop_after_{kind}"] / figures[f"loop_before_{kind}"], 3
        )
    figures["load_average_before"] = [round(x, 2) for x in load_before]
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    bd._clean(out)
    return figures


def main(other: Path, sets: tuple[str, ...]) -> dict[str, Any]:
    bd.WORK.mkdir(parents=True, exist_ok=True)
    data = bd.WORK / "platform"
    bd._prepare(data)
    disk = bd.WORK / "out"
    tmpfs = Path("/dev/shm") / f"amp-compare-{os.getpid()}" if Path("/dev/shm").is_dir() else disk
    figures: dict[str, Any] = {}
    if any(s in sets for s in ("small", "small-10ms", "large", "loop")):
        proc, url = bd._start_demo(data, bd.WORK / "demo-home")
        try:
            if "loop" in sets:
                figures["loop_500x200KB_tmpfs"] = _compare_loop(url, tmpfs, other)
            if "small" in sets:
                figures["small_500x200KB_disk"] = _compare(url, "BENCH-SMALL", disk, other, None)
                figures["small_500x200KB_tmpfs"] = _compare(url, "BENCH-SMALL", tmpfs, other, None)
            if "large" in sets:
                figures["large_1GB_tmpfs"] = _compare(url, "BENCH-LARGE", tmpfs, other, None)
            if "small-10ms" in sets:
                bd._set_latency(url, bd.LATENCY)
                try:
                    figures["small_500x200KB_10ms_latency"] = _compare(url, "BENCH-SMALL", disk, other, None)
                finally:
                    bd._set_latency(url, 0.0)
        finally:
            proc.terminate()
            proc.wait(30)
    if any(s in sets for s in ("https-small", "https-large")):
        ca = bd.WORK / "demo-ca.pem"
        proc, url = bd._start_demo(data, bd.WORK / "demo-home", ca)
        try:
            if "https-small" in sets:
                figures["https_small_500x200KB_tmpfs"] = _compare(url, "BENCH-SMALL", tmpfs, other, ca)
            if "https-large" in sets:
                figures["https_large_1GB_tmpfs"] = _compare(url, "BENCH-LARGE", tmpfs, other, ca)
        finally:
            proc.terminate()
            proc.wait(30)
    shutil.rmtree(tmpfs, ignore_errors=True)
    return {**figures, "other_tree": str(other), "repeat": bd.REPEAT, "cpus": os.cpu_count()}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]).resolve(), tuple(sys.argv[2:]) or ALL), indent=2))
