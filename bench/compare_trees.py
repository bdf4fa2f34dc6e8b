"""Two checkouts of the assistant side by side, interleaved in one run: is a change within noise?

    python -m bench.compare_trees BEFORE_ROOT AFTER_ROOT [--repeat 5] [--files 300]

Each root is a checkout with its own `.venv` (e.g. `git worktree add /tmp/before <commit>` and
`bash installers/dev/setup.sh` there). Workloads, each a fresh process of that checkout's CLI:

- `download`: `assistant download` of N files of 200 KB from the demo platform on 127.0.0.1
  (4 connections, SHA-256 verified, journal written, fdatasync), into a fresh folder and home;
- `sign`: `assistant sign --format cades` of 40 files of 2 MB with a .p12 key (one batch, one
  password), i.e. hashing, CMS building and the progress of the batch.

The runs alternate (before, after, before, after, ...) so that the machine's load touches both;
the median of each and the ratio after/before are printed with the load average. Not a test: it
prints, it does not assert.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
SMALL = 200 * 1024


def _env(root: Path, home: Path) -> dict[str, str]:
    env = dict(os.environ, ASSISTANT_HOME=str(home), ASSISTANT_DEMO="1", PYTHONPATH=str(root))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    return env


def _python(root: Path) -> str:
    return str(root / ".venv" / "bin" / "python")


def _start_demo(root: Path, data: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port_file = work / "url"
    proc = subprocess.Popen(
        [_python(root), "-m", "assistant", "demo", "--data-dir", str(data), "--port-file", str(port_file), "--no-seed"],
        env=_env(root, work / "demo-home"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("demo platform did not start")
        time.sleep(0.1)
    return proc, port_file.read_text()


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, timeout=600, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed: {result.stderr.decode(errors='replace')[-800:]}")
    return elapsed


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args(argv)
    roots = {"before": args.before.resolve(), "after": args.after.resolve()}
    sys.path.insert(0, str(HERE))
    from tests.pki import P12_PASSWORD, make_pki

    with tempfile.TemporaryDirectory(prefix="amp-compare-") as tmp:
        work = Path(tmp)
        data = work / "platform"
        for n in range(args.files):
            path = (
                data
                / "consultations"
                / "BENCH"
                / f"Pli-{n // 5 + 1:03d}"
                / "Enveloppe-1-offre"
                / f"piece-{n % 5 + 1}.bin"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(SMALL))
        to_sign = work / "to-sign"
        to_sign.mkdir()
        for n in range(40):
            (to_sign / f"piece-{n:02d}.bin").write_bytes(os.urandom(2 << 20))
        pki = make_pki(work / "pki")
        key = str(pki.signer.files["p12"])
        proc, url = _start_demo(roots["after"], data, work)
        try:
            with urllib.request.urlopen(f"{url}/api/descriptors/download?consultation=BENCH", timeout=120) as response:
                descriptor = json.loads(response.read())
            descriptor_file = work / "descriptor.json"
            descriptor_file.write_text(json.dumps(descriptor))
            times: dict[str, dict[str, list[float]]] = {
                "download": {"before": [], "after": []},
                "sign": {"before": [], "after": []},
            }
            loads = [os.getloadavg()]
            for _ in range(args.repeat):
                for name, root in roots.items():
                    home, dest = work / f"home-{name}", work / f"dest-{name}"
                    shutil.rmtree(home, ignore_errors=True)
                    shutil.rmtree(dest, ignore_errors=True)
                    cmd = [
                        _python(root),
                        "-m",
                        "assistant",
                        "download",
                        str(descriptor_file),
                        "--dest",
                        str(dest),
                        "--quiet",
                        "--connections",
                        "4",
                    ]
                    times["download"][name].append(_timed(cmd, _env(root, home)))
                for name, root in roots.items():
                    out = work / f"signed-{name}"
                    shutil.rmtree(out, ignore_errors=True)
                    out.mkdir()
                    env = _env(root, work / f"home-sign-{name}") | {"AMP_BENCH_P12": P12_PASSWORD}
                    files = sorted(str(p) for p in to_sign.iterdir())
                    cmd = [
                        _python(root),
                        "-m",
                        "assistant",
                        "sign",
                        "--format",
                        "cades",
                        "--key",
                        key,
                        "--pin-env",
                        "AMP_BENCH_P12",
                        "--out-dir",
                        str(out),
                        *files,
                    ]
                    times["sign"][name].append(_timed(cmd, env))
                loads.append(os.getloadavg())
        finally:
            proc.terminate()
            proc.wait(30)
    figures: dict[str, object] = {}
    for workload, runs in times.items():
        before, after = statistics.median(runs["before"]), statistics.median(runs["after"])
        figures[workload] = {
            "before_median_s": round(before, 3),
            "after_median_s": round(after, 3),
            "ratio_after_over_before": round(after / before, 3),
            "before_runs": [round(t, 3) for t in runs["before"]],
            "after_runs": [round(t, 3) for t in runs["after"]],
        }
    figures["load_average_during"] = [round(load[0], 2) for load in loads]
    figures["roots"] = {name: str(root) for name, root in roots.items()}
    figures["note"] = f"{args.files} x 200 KB download and 40 x 2 MB CAdES signing; runs interleaved; shared machine"
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
