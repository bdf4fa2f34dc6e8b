"""Download speed: the assistant against curl, on the same files from the demo platform (loopback).

Two sets: one 1 GB file, and 500 files of 200 KB. For each, the time of `assistant download`
(a separate process, start-up included, SHA-256 verified, journal written) against curl writing
the same files: one curl per file in a loop (what a script does), one curl for all URLs
(connection reuse), and `curl --parallel`. Targets: >= 0.9x curl on the large file, >= 2x
sequential curl on the small ones. The demo platform runs as its own process.

The HTTPS sets (`https_*`) do the same against `assistant demo --tls`, the path users take with a
real platform: the assistant trusts the demo's CA through its settings (`platform_ca_files`),
curl through `--cacert`. Sets to run: `large small https-large https-small` (default: all).
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".bench-data" / "download"
LARGE = 1 << 30
SMALL = 200 * 1024
SMALL_COUNT = 500
CONNECTIONS = 4  # the assistant's default; curl --parallel gets the same number
LATENCY = 0.010  # seconds per request in the "far platform" run (a 10 ms round trip)
REPEAT = int(os.environ.get("BENCH_DOWNLOAD_REPEAT", "5"))  # runs of each tool; the median is reported


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, ASSISTANT_HOME=str(home), ASSISTANT_DEMO="1", PYTHONPATH=str(ROOT))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    # An installed assistant starts from compiled bytecode (pip and the bundle write it); with
    # PYTHONDONTWRITEBYTECODE inherited from a dev shell, every fresh process recompiled ~30
    # modules (0.18 s of CPU, more wall time under load), which no user pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _prepare(data: Path) -> None:
    served = data / "consultations"
    marker = data / "bench-ready"
    if marker.exists():
        return
    shutil.rmtree(data, ignore_errors=True)
    large = served / "BENCH-LARGE" / "Pli-01" / "Enveloppe-2-offre" / "offre-1.bin"
    large.parent.mkdir(parents=True)
    with large.open("wb") as fh:
        block = os.urandom(16 << 20)
        for i in range(LARGE // len(block)):
            fh.write(block[: len(block) - 1] + bytes([i % 256]))
    for n in range(SMALL_COUNT):
        path = served / "BENCH-SMALL" / f"Pli-{n // 5 + 1:03d}" / "Enveloppe-1-candidature" / f"piece-{n % 5 + 1}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(SMALL))
    marker.write_text("ok")


def _start_demo(data: Path, home: Path, ca: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """The demo platform; with `ca`, over HTTPS (`--tls`), its CA certificate written there."""
    port_file = WORK / "url"
    port_file.unlink(missing_ok=True)
    tls = ["--tls", "--ca-out", str(ca)] if ca else []
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant",
            "demo",
            "--data-dir",
            str(data),
            "--port-file",
            str(port_file),
            "--test-hooks",
            "--no-seed",
            *tls,
        ],
        env=_env(home),
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("demo platform did not start")
        time.sleep(0.1)
    return proc, port_file.read_text()


def _trust(home: Path, ca: Path | None) -> None:
    """The assistant's settings in a fresh home: the demo CA added, as a user would for an enterprise CA."""
    if ca is None:
        return
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"platform_ca_files": [str(ca)]}))


def _descriptor(url: str, consultation: str, ca: Path | None = None) -> dict[str, Any]:
    context = ssl.create_default_context(cafile=str(ca)) if ca else None
    with urllib.request.urlopen(
        f"{url}/api/descriptors/download?consultation={consultation}", timeout=300, context=context
    ) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def _files(descriptor: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for c in descriptor["params"]["consultations"]:
        for p in c["plis"]:
            for e in p["envelopes"]:
                for f in e["files"]:
                    out.append((f["url"], f"{c['id']}/{p['id']}/{e['id']}/{f['name']}"))
    return out


def _clean(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def _timed(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    os.sync()  # every run starts with no dirty pages left by the previous one
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _timed_sync(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _curl_config(files: list[tuple[str, str]], token: str, out: Path, ca: Path | None = None) -> Path:
    config = WORK / "curl.cfg"
    lines = [f'header = "Authorization: Bearer {token}"', "silent", "fail", "create-dirs"]
    if ca:
        lines.append(f'cacert = "{ca}"')
    for url, rel in files:
        lines += [f'url = "{url}"', f'output = "{out / rel}"']
    config.write_text("\n".join(lines) + "\n")
    return config


def _set_latency(url: str, seconds: float) -> None:
    request = urllib.request.Request(
        f"{url}/api/test/faults", data=json.dumps({"latency": seconds}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30):
        pass


def _run_set(
    name: str, url: str, home: Path, consultation: str, out: Path, *, loop: bool = True, ca: Path | None = None
) -> dict[str, Any]:
    """`ca`: the platform is HTTPS with this CA (settings for the assistant, --cacert for curl)."""
    descriptor = _descriptor(url, consultation, ca)
    files = _files(descriptor)
    token = descriptor["token"]
    figures: dict[str, Any] = {"files": len(files)}
    curl = shutil.which("curl") or "curl"

    load_before = os.getloadavg()

    def assistant_run() -> float:
        # A fresh destination and journal each time (nothing to skip).
        _clean(out)
        shutil.rmtree(home, ignore_errors=True)
        _trust(home, ca)
        desc_file = WORK / "descriptor.json"
        desc_file.write_text(json.dumps(descriptor))
        return _timed(
            [
                sys.executable,
                "-m",
                "assistant",
                "download",
                str(desc_file),
                "--dest",
                str(out),
                "--quiet",
                "--connections",
                str(CONNECTIONS),
            ],
            env=_env(home),
        )

    def running_assistant_run() -> float:
        # The product's real path: a page queues the download to the assistant that is already
        # running (tray or headless), so no interpreter start-up; same engine, verification, fsync.
        from assistant.jobs.engine import JobEngine
        from assistant.jobs.interaction import HeadlessInteraction
        from assistant.jobs.model import JobState
        from assistant.settings import Settings

        _clean(out)
        shutil.rmtree(home, ignore_errors=True)
        os.environ["ASSISTANT_HOME"] = str(home)
        settings = Settings(platform_ca_files=[str(ca)] if ca else [])
        engine = JobEngine(interaction=HeadlessInteraction(), workers=1, loopback_http=True, settings=settings)
        try:
            job_descriptor = json.loads(json.dumps(descriptor))
            job_descriptor["params"]["destination"] = str(out)
            job_descriptor["params"]["connections"] = CONNECTIONS
            start = time.perf_counter()
            job = engine.submit(job_descriptor, "local")
            final = engine.wait(job.id)
            elapsed = time.perf_counter() - start
            assert final is not None and final.state is JobState.SUCCEEDED, final.error if final else None
            return elapsed
        finally:
            engine.shutdown(wait=True)

    def curl_run(*options: str) -> float:
        _clean(out)
        return _timed([curl, *options, "-K", str(_curl_config(files, token, out, ca))])

    # Interleaved (assistant, curl, curl --parallel, assistant, ...) so that a burst of load
    # from the rest of the machine hits every tool alike; the median of REPEAT runs is kept.
    runs: dict[str, list[float]] = {
        "assistant_s": [],
        "running_assistant_s": [],
        "curl_one_process_s": [],
        "curl_parallel_s": [],
        "curl_then_fdatasync_s": [],
        "curl_then_sha256sum_s": [],
    }
    sync = shutil.which("sync") or "sync"
    for _ in range(REPEAT):
        runs["assistant_s"].append(assistant_run())
        runs["running_assistant_s"].append(running_assistant_run())
        runs["curl_one_process_s"].append(curl_run())
        runs["curl_parallel_s"].append(curl_run("-s", "--parallel", "--parallel-max", str(CONNECTIONS)))
        # What curl costs when its files too must be on disk before anyone relies on them
        # (the assistant fdatasyncs each file before recording it as verified).
        curl_time = curl_run()
        runs["curl_then_fdatasync_s"].append(
            curl_time + _timed_sync([sync, "-d", *(str(out / rel) for _url, rel in files)])
        )
        # Like for like on verification: curl does not check the SHA-256 the descriptor gives,
        # the assistant must (a file takes its final name only once verified).
        curl_time = curl_run()
        runs["curl_then_sha256sum_s"].append(
            curl_time + _timed_sync(["sha256sum", *(str(out / rel) for _url, rel in files)])
        )
    for key, values in runs.items():
        figures[key] = round(statistics.median(values), 3)
        figures[key[:-2] + "_runs_s"] = [round(v, 3) for v in values]
    if len(files) > 1 and loop:
        # One curl process per file, as a shell loop does: once (it is slow and stable).
        _clean(out)
        os.sync()
        start = time.perf_counter()
        for file_url, rel in files:
            target = out / rel
            tls = ["--cacert", str(ca)] if ca else []
            subprocess.run(
                [
                    curl,
                    "-s",
                    "-f",
                    "--create-dirs",
                    *tls,
                    "-H",
                    f"Authorization: Bearer {token}",
                    "-o",
                    str(target),
                    file_url,
                ],
                check=True,
            )
        figures["curl_per_file_loop_s"] = round(time.perf_counter() - start, 3)
    figures["load_average_before"] = [round(x, 2) for x in load_before]
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    total = sum(
        f["size"]
        for c in descriptor["params"]["consultations"]
        for p in c["plis"]
        for e in p["envelopes"]
        for f in e["files"]
    )
    figures["bytes"] = total
    figures["assistant_MBps"] = round(total / figures["assistant_s"] / 1e6, 1)
    figures["curl_one_process_MBps"] = round(total / figures["curl_one_process_s"] / 1e6, 1)
    for key in (
        "curl_one_process_s",
        "curl_parallel_s",
        "curl_then_fdatasync_s",
        "curl_then_sha256sum_s",
        "curl_per_file_loop_s",
    ):
        if key in figures:
            figures[f"ratio_vs_{key[:-2]}"] = round(figures[key] / figures["assistant_s"], 2)
            figures[f"running_ratio_vs_{key[:-2]}"] = round(figures[key] / figures["running_assistant_s"], 2)
    # The server's own bound: when curl with 4 parallel connections is no faster than curl one
    # file after the other, the platform (not the client) sets the pace, and no client can be
    # much faster than sequential curl against it on this machine.
    figures["curl_parallel_speedup_over_sequential"] = round(
        figures["curl_one_process_s"] / figures["curl_parallel_s"], 2
    )
    shutil.rmtree(out, ignore_errors=True)
    return figures


ALL_SETS = ("large", "small", "https-large", "https-small")


def main(sets: tuple[str, ...] = ALL_SETS) -> dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    data = WORK / "platform"
    home = WORK / "home"
    _prepare(data)
    figures: dict[str, Any] = {}
    # Destinations: the disk (what users have) and a tmpfs (the transfer and verification
    # pipeline alone, without the page-cache write-back noise of a shared machine).
    targets = {"disk": WORK / "out"}
    if Path("/dev/shm").is_dir():
        targets["tmpfs"] = Path("/dev/shm") / f"amp-bench-{os.getpid()}"
    if "large" in sets or "small" in sets:
        proc, url = _start_demo(data, WORK / "demo-home")
        try:
            for label, out in targets.items():
                if "large" in sets:
                    figures[f"large_1GB_{label}"] = _run_set("large", url, home, "BENCH-LARGE", out)
                if "small" in sets:
                    figures[f"small_500x200KB_{label}"] = _run_set("small", url, home, "BENCH-SMALL", out)
            if "small" in sets:
                # The same 500 files from a platform 10 ms away: latency, not bandwidth, dominates,
                # which is what parallel keep-alive connections are for.
                _set_latency(url, LATENCY)
                try:
                    figures["small_500x200KB_10ms_latency"] = _run_set(
                        "small", url, home, "BENCH-SMALL", targets["disk"], loop=False
                    )
                finally:
                    _set_latency(url, 0.0)
        finally:
            proc.terminate()
            proc.wait(30)
    if "https-large" in sets or "https-small" in sets:
        # The same files over HTTPS, from `assistant demo --tls` (a new CA made at its start).
        ca = WORK / "demo-ca.pem"
        proc, url = _start_demo(data, WORK / "demo-home", ca)
        try:
            for label, out in targets.items():
                if "https-large" in sets:
                    figures[f"https_large_1GB_{label}"] = _run_set("large", url, home, "BENCH-LARGE", out, ca=ca)
                if "https-small" in sets:
                    figures[f"https_small_500x200KB_{label}"] = _run_set("small", url, home, "BENCH-SMALL", out, ca=ca)
        finally:
            proc.terminate()
            proc.wait(30)
    return {
        **figures,
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
        "repeat": REPEAT,
        "note": (
            "median of `repeat` interleaved runs; ratio = curl time / assistant time (>1 means the assistant is faster); "
            "the assistant's time includes Python start-up, SHA-256 verification and the fdatasync of every file before "
            "it is recorded as verified in the journal; curl neither hashes nor syncs; https_* sets: TLS from "
            "`assistant demo --tls`, the assistant trusting its CA through platform_ca_files, curl through --cacert"
        ),
    }


if __name__ == "__main__":
    print(json.dumps(main(tuple(sys.argv[1:]) or ALL_SETS), indent=2))
