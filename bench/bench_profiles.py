"""Downloads on real-network profiles: the assistant against aria2c and curl, each verifying.

The demo platform runs as its own process; `bench.netprofile` (a process too) puts a network
between it and the clients: "fibre" (RTT 10 ms, 1 Gbit/s), "adsl" (RTT 40 ms, 20 Mbit/s) and
"lossy" (RTT 80 ms, 10 Mbit/s, connections reset now and then). On each, two sets: one large
file and 500 small ones, and three tools, interleaved (the order rotates each round) so that the
others' load on this shared machine hits all alike:

- the assistant: `assistant download` as a fresh process (start-up, SHA-256 checked while the
  bytes arrive, journal, fdatasync of every file), its connection count left to itself; and the
  same job queued to an engine already running (the product's path: a page asks the tray app);
- `aria2c -x 4 -j 4` then `sha256sum -c` (the same verification, after the transfer);
- `curl --parallel --parallel-max 4` then `sha256sum -c`; on "lossy" both reference tools get
  retries that resume (`aria2c` does by default; curl `--retry 20 --retry-all-errors -C -`).

"loopback" (no proxy) and "loopback-https" compare the same tools where the CPU, not the link,
is the limit. Medians of `BENCH_REPEAT` rounds (default 3) with the load average around each set.

Sizes: 1 GB and 500 x 200 KB on fibre and loopback; on the slow links one round of the full sets
takes 10-20 minutes per tool, so there the large file is 1 GB x BENCH_SLOW_SCALE (default 0.1)
and the 500 small files are 200 KB x the same (500 files are kept: the count is what latency
punishes). `BENCH_SLOW_SCALE=1` runs the full sizes everywhere.

    .venv/bin/python -m bench profiles                       # every profile
    .venv/bin/python bench/bench_profiles.py fibre adsl      # some
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bench.bench_download as bench_download  # noqa: E402
from bench.bench_download import _clean, _descriptor, _env, _start_demo, _trust  # noqa: E402
from bench.netprofile import PROFILES as PROFILES_BY_NAME  # noqa: E402

WORK = Path(os.environ.get("BENCH_PROFILES_DIR", str(ROOT / ".bench-data" / "profiles")))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
SLOW_SCALE = float(os.environ.get("BENCH_SLOW_SCALE", "0.1"))
LARGE = 1 << 30
SMALL = 200 * 1024
SMALL_COUNT = 500
PROFILES = ("loopback", "loopback-https", "fibre", "adsl", "lossy")
SLOW = {"adsl", "lossy"}
SETS = set(filter(None, os.environ.get("BENCH_SETS", "").split(",")))  # "large", "small" (default both)


def _prepare(data: Path, name: str, count: int, size: int) -> None:
    """`count` files of `size` random bytes in consultation `name` (kept between runs)."""
    base = data / "consultations" / name
    marker = base / ".ready"
    if marker.exists():
        return
    shutil.rmtree(base, ignore_errors=True)
    block = os.urandom(16 << 20)
    for n in range(count):
        path = base / f"Pli-{n // 5 + 1:03d}" / "Enveloppe-1-offre" / f"piece-{n % 5 + 1}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            left, i = size, 0
            while left > 0:
                piece = block[: min(left, len(block))]
                fh.write(bytes([n % 256, i % 256]) + piece[2:] if len(piece) > 2 else piece)
                left -= len(piece)
                i += 1
    marker.write_text("ok")


def _entries(descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for c in descriptor["params"]["consultations"]:
        for p in c["plis"]:
            for e in p["envelopes"]:
                for f in e["files"]:
                    out.append({**f, "rel": f"{c['id']}/{p['id']}/{e['id']}/{f['name']}"})
    return out


def _start_proxy(name: str, upstream: str) -> tuple[subprocess.Popen[bytes], str]:
    port_file = WORK / f"proxy-{name}.port"
    port_file.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.netprofile", name, upstream, "--port-file", str(port_file)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("network-profile proxy did not start")
        time.sleep(0.05)
    return proc, f"127.0.0.1:{port_file.read_text()}"


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({result.returncode}): {result.stderr.decode(errors='replace')[-500:]}")
    return time.perf_counter() - start


def _run_set(profile: str, descriptor: dict[str, Any], ca: Path | None) -> dict[str, Any]:
    entries = _entries(descriptor)
    token = descriptor["token"]
    out = WORK / "out"
    home = WORK / "home"
    sums = WORK / "sums.txt"
    sums.write_text("".join(f"{e['sha256']}  {out / e['rel']}\n" for e in entries))
    lossy = profile == "lossy"
    chosen: list[int] = []
    fetched: list[int] = []

    def assistant() -> float:
        _clean(out)
        shutil.rmtree(home, ignore_errors=True)
        _trust(home, ca)
        desc = WORK / "descriptor.json"
        desc.write_text(json.dumps(descriptor))
        os.sync()
        return _timed(
            [sys.executable, "-m", "assistant", "download", str(desc), "--dest", str(out), "--quiet"], env=_env(home)
        )

    def running() -> float:
        # The product's path: a page queues the download to the assistant already running
        # (tray or headless), so no interpreter start-up; same engine, verification, fdatasync.
        from assistant.jobs.engine import JobEngine
        from assistant.jobs.interaction import HeadlessInteraction
        from assistant.jobs.model import JobState
        from assistant.settings import Settings

        _clean(out)
        shutil.rmtree(home, ignore_errors=True)
        os.environ["ASSISTANT_HOME"] = str(home)
        engine = JobEngine(
            interaction=HeadlessInteraction(),
            workers=1,
            loopback_http=True,
            settings=Settings(platform_ca_files=[str(ca)] if ca else []),
        )
        try:
            job_descriptor = json.loads(json.dumps(descriptor))
            job_descriptor["params"]["destination"] = str(out)
            os.sync()
            start = time.perf_counter()
            job = engine.submit(job_descriptor, "local")
            final = engine.wait(job.id)
            elapsed = time.perf_counter() - start
            if final is None or final.state is not JobState.SUCCEEDED:
                raise RuntimeError(f"running assistant failed: {final.error if final else None}")
            result = final.result.to_json() if final.result is not None else {}
            # The connection count the link meter chose, and the bytes that crossed the link
            # (more than the files' total only when a cut made a range or a file start over).
            chosen.append(int(result.get("connections", 0)))
            fetched.append(int(result.get("fetched_bytes", 0)))
            return elapsed
        finally:
            engine.shutdown(wait=True)

    transfers: dict[str, list[float]] = {"aria2c": [], "curl": []}

    def then_sha256sum(tool: str, transfer: float) -> float:
        transfers[tool].append(transfer)  # the transfer alone, before its verification
        return transfer + _timed(["sha256sum", "--quiet", "-c", str(sums)])

    def aria2() -> float:
        _clean(out)
        listing = WORK / "aria2.txt"
        listing.write_text("".join(f"{e['url']}\n  out={e['rel']}\n" for e in entries))
        tls = [f"--ca-certificate={ca}"] if ca else []
        os.sync()
        return then_sha256sum(
            "aria2c",
            _timed(
                [
                    "aria2c",
                    "-x",
                    "4",
                    "-j",
                    "4",
                    "-i",
                    str(listing),
                    "-d",
                    str(out),
                    f"--header=Authorization: Bearer {token}",
                    "--allow-overwrite=true",
                    "--auto-file-renaming=false",
                    "--file-allocation=none",
                    "--console-log-level=error",
                    "--summary-interval=0",
                    "--download-result=hide",
                    "--max-tries=20",
                    "--retry-wait=1",
                    *tls,
                ]
            ),
        )

    def curl() -> float:
        _clean(out)
        config = WORK / "curl.cfg"
        head = [f'header = "Authorization: Bearer {token}"', "silent", "fail", "create-dirs"]
        if ca:
            head.append(f'cacert = "{ca}"')
        if lossy:
            head.append('continue-at = "-"')  # each run resumes the files from what is on disk

        def run(todo: list[dict[str, Any]]) -> int:
            lines = list(head)
            for e in todo:
                lines += [f'url = "{e["url"]}"', f'output = "{out / e["rel"]}"']
            config.write_text("\n".join(lines) + "\n")
            return subprocess.run(
                ["curl", "--parallel", "--parallel-max", "4", "-K", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=ROOT,
            ).returncode

        def missing() -> list[dict[str, Any]]:
            def size(e: dict[str, Any]) -> int:
                try:
                    return (out / str(e["rel"])).stat().st_size
                except FileNotFoundError:
                    return -1

            return [e for e in entries if size(e) != e["size"]]

        os.sync()
        start = time.perf_counter()
        if not lossy:
            if run(entries) != 0:
                raise RuntimeError("curl failed")
        else:
            # curl's own --retry with -C - started the cut 100 MB file over from byte 0 (curl
            # 7.88 in --parallel mode: still at 22 MB after 9 minutes, every reset a restart), so
            # it is given the resume it is able to do: after a cut, a new curl run with -C - for
            # the files not complete yet, a fixed second apart (aria2c's --retry-wait=1).
            todo = entries
            for _ in range(200):
                run(todo)
                todo = missing()
                if not todo:
                    break
                time.sleep(1)
            else:
                raise RuntimeError("curl did not finish after 200 runs")
        return then_sha256sum("curl", time.perf_counter() - start)

    tools = {
        "assistant": assistant,
        "running_assistant": running,
        "aria2c_x4_j4_then_sha256sum": aria2,
        "curl_parallel4_then_sha256sum": curl,
    }
    runs: dict[str, list[float]] = {name: [] for name in tools}
    load_before = os.getloadavg()
    names = list(tools)
    for round_ in range(REPEAT):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            runs[name].append(tools[name]())
    figures: dict[str, Any] = {"files": len(entries), "bytes": sum(e["size"] for e in entries)}
    for name, values in runs.items():
        figures[f"{name}_s"] = round(statistics.median(values), 3)
        figures[f"{name}_runs_s"] = [round(v, 3) for v in values]
    for ours in ("assistant", "running_assistant"):
        for name in names[2:]:
            figures[f"{ours}_ratio_vs_{name}"] = round(figures[f"{name}_s"] / figures[f"{ours}_s"], 2)
    ours = figures["assistant_s"]
    figures["assistant_MBps"] = round(figures["bytes"] / ours / 1e6, 1)
    cap = PROFILES_BY_NAME[profile].down if profile in PROFILES_BY_NAME else 0.0
    if cap:
        # Where the link, not the CPU, is the limit, the honest measure is how much of it each
        # tool used: bytes over time over the profile's total rate (100 %: the bytes alone).
        figures["link_seconds"] = round(figures["bytes"] / cap, 3)
        for name in names:
            figures[f"{name}_link_use_pct"] = round(100 * figures["bytes"] / cap / figures[f"{name}_s"], 1)
    for tool, values in transfers.items():
        figures[f"{tool}_transfer_only_s"] = round(statistics.median(values), 3)
    figures["running_assistant_connections"] = chosen
    figures["running_assistant_fetched_bytes"] = fetched
    figures["load_average_before"] = [round(x, 2) for x in load_before]
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    shutil.rmtree(out, ignore_errors=True)
    return figures


def _rewrite(descriptor: dict[str, Any], platform: str, proxy: str | None) -> dict[str, Any]:
    if proxy is None:
        return descriptor
    text = json.dumps(descriptor).replace(platform.split("://", 1)[1], proxy)
    result: dict[str, Any] = json.loads(text)
    return result


def main(profiles: tuple[str, ...] = PROFILES) -> dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    # The demo platform's port file in this run's own folder: two runs (say "lossy", which waits
    # on its link for half an hour, beside "loopback") must not read each other's port.
    bench_download.WORK = WORK
    data = WORK / "platform"
    sets = {
        "full": (("BENCH-LARGE", 1, LARGE), ("BENCH-SMALL", SMALL_COUNT, SMALL)),
        "slow": (
            ("BENCH-LARGE-SLOW", 1, int(LARGE * SLOW_SCALE)),
            ("BENCH-SMALL-SLOW", SMALL_COUNT, int(SMALL * SLOW_SCALE)),
        ),
    }
    for variant in {"slow" if p in SLOW else "full" for p in profiles}:
        for name, count, size in sets[variant]:
            if not SETS or ("large" if count == 1 else "small") in SETS:
                _prepare(data, name, count, size)
    figures: dict[str, Any] = {"repeat": REPEAT, "cpus": os.cpu_count(), "slow_scale": SLOW_SCALE}
    for tls in (False, True):
        wanted = [p for p in profiles if (p == "loopback-https") == tls]
        if not wanted:
            continue
        ca = WORK / "demo-ca.pem" if tls else None
        demo, url = _start_demo(data, WORK / "demo-home", ca)
        try:
            for profile in wanted:
                proxy_proc, proxy = (
                    (None, None) if profile.startswith("loopback") else _start_proxy(profile, url.split("://", 1)[1])
                )
                try:
                    for name, count, size in sets["slow" if profile in SLOW else "full"]:
                        if SETS and ("large" if count == 1 else "small") not in SETS:
                            continue
                        descriptor = _rewrite(_descriptor(url, name, ca), url, proxy)
                        label = f"{profile}_{'large' if count == 1 else 'small'}_{count}x{size // 1000}KB"
                        print(f"== {label}", file=sys.stderr, flush=True)
                        figures[label] = _run_set(profile, descriptor, ca)
                        print(json.dumps(figures[label]), file=sys.stderr, flush=True)
                finally:
                    if proxy_proc is not None:
                        proxy_proc.terminate()
                        proxy_proc.wait(10)
        finally:
            demo.terminate()
            demo.wait(30)
    figures["note"] = (
        "median of `repeat` interleaved rounds, seconds; ratio = reference time / assistant time (> 1: the assistant is "
        "ahead); references are followed by `sha256sum -c` (the assistant verifies while it downloads)"
    )
    return figures


if __name__ == "__main__":
    print(json.dumps(main(tuple(sys.argv[1:]) or PROFILES), indent=2))
