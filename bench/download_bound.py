"""What any client can reach on this machine against the demo platform (500 files of 200 KB).

Not a benchmark of ours alone: a probe of the ceiling that bench_download's small-file target
runs into. It times, interleaved on the same files and with the CPU each side spent (the
client's from rusage, the platform's from /proc):

- curl one file after the other over one connection (the target's reference),
- curl --parallel with 4 connections,
- a bare Python socket loop with 1, 2 and 4 threads: raw HTTP/1.1 keep-alive, one recv into a
  reused buffer, SHA-256, write, rename; no TLS, no retry, no resume, no journal, no fsync,
  no progress: the floor of any Python client that verifies what it receives,
- the assistant's download job in a running engine (what a page's download costs).

On a loopback link sequential curl is CPU-bound, not latency-bound: its time is the platform's
CPU plus curl's, one after the other. A client with N connections on C cores needs at least
(platform CPU + client CPU) / C. Being twice as fast as sequential curl therefore needs a
client that spends no more CPU than curl while also hashing what curl does not, and a platform
that can serve on several cores at once. `curl --parallel` being no faster than sequential
curl is the direct sign that the platform sets the pace.

Run: `.venv/bin/python -m bench.download_bound` (about a minute); BENCH_BOUND_REPEAT=N runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import bench_download as download

REPEAT = int(os.environ.get("BENCH_BOUND_REPEAT", "5"))
THREADS = (1, 2, 4)


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _bare_worker(items: list[tuple[int, dict[str, Any]]], token: str, out: Path) -> None:
    """The least a verifying Python client can do per file (plain HTTP, Content-Length only)."""
    first = urlsplit(items[0][1]["url"])
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    with socket.create_connection((first.hostname, first.port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for index, item in items:
            target = urlsplit(item["url"])
            sock.sendall(
                f"GET {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\nAuthorization: Bearer {token}\r\n"
                "Accept-Encoding: identity\r\n\r\n".encode()
            )
            got = sock.recv_into(view)
            while (end := buffer.find(b"\r\n\r\n", 0, got)) < 0:
                got += sock.recv_into(view[got:])
            head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            fields = {
                name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in head[1:])
            }
            length = int(fields["content-length"])
            body = got - (end + 4)
            view[:body] = view[end + 4 : got]
            while body < length:
                body += sock.recv_into(view[body:length])
            if hashlib.sha256(view[:length]).hexdigest() != item["sha256"]:
                raise RuntimeError(f"hash mismatch on file {index}")
            part = out / f"{index}.part"
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, view[:length])
            finally:
                os.close(fd)
            os.replace(part, out / str(index))


def _bare(files: list[dict[str, Any]], token: str, out: Path, threads: int) -> None:
    numbered = list(enumerate(files))
    workers = [threading.Thread(target=_bare_worker, args=(numbered[k::threads], token, out)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def _assistant(descriptor: dict[str, Any], out: Path, home: Path) -> None:
    from assistant.jobs.engine import JobEngine
    from assistant.jobs.interaction import HeadlessInteraction
    from assistant.jobs.model import JobState

    os.environ["ASSISTANT_HOME"] = str(home)
    engine = JobEngine(interaction=HeadlessInteraction(), workers=1, loopback_http=True)
    try:
        job_descriptor = json.loads(json.dumps(descriptor))
        job_descriptor["params"]["destination"] = str(out)
        job_descriptor["params"]["connections"] = download.CONNECTIONS
        final = engine.wait(engine.submit(job_descriptor, "local").id)
        if final is None or final.state is not JobState.SUCCEEDED:
            raise RuntimeError(f"download job failed: {final.error if final else None}")
    finally:
        engine.shutdown(wait=True)


def main() -> dict[str, Any]:
    download.WORK.mkdir(parents=True, exist_ok=True)
    data = download.WORK / "platform"
    download._prepare(data)
    proc, url = download._start_demo(data, download.WORK / "demo-home")
    out = Path("/dev/shm") / f"amp-bound-{os.getpid()}" if Path("/dev/shm").is_dir() else download.WORK / "bound-out"
    home = download.WORK / "bound-home"
    try:
        descriptor = download._descriptor(url, "BENCH-SMALL")
        files = [
            f
            for c in descriptor["params"]["consultations"]
            for p in c["plis"]
            for e in p["envelopes"]
            for f in e["files"]
        ]
        token = descriptor["token"]
        config = download._curl_config(download._files(descriptor), token, out)
        curl = shutil.which("curl") or "curl"

        def run_curl(*options: str) -> None:
            subprocess.run(
                [curl, *options, "-K", str(config)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )

        contenders: dict[str, tuple[Callable[[], None], int]] = {
            "curl_sequential": (run_curl, resource.RUSAGE_CHILDREN),
            "curl_parallel_4": (
                lambda: run_curl("--parallel", "--parallel-max", str(download.CONNECTIONS)),
                resource.RUSAGE_CHILDREN,
            ),
            **{
                f"bare_python_{n}_threads": ((lambda n=n: _bare(files, token, out, n)), resource.RUSAGE_SELF)
                for n in THREADS
            },  # type: ignore[misc]
            "assistant_running": (lambda: _assistant(descriptor, out, home), resource.RUSAGE_SELF),
        }
        samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in contenders}
        for _ in range(REPEAT):
            for name, (action, who) in contenders.items():
                download._clean(out)
                shutil.rmtree(home, ignore_errors=True)
                os.sync()
                cpu, server, start = _own_cpu(who), _process_cpu(proc.pid), time.perf_counter()
                action()
                samples[name].append(
                    (time.perf_counter() - start, _own_cpu(who) - cpu, _process_cpu(proc.pid) - server)
                )
        figures: dict[str, Any] = {}
        for name, runs in samples.items():
            figures[name] = {
                "wall_s": round(statistics.median(r[0] for r in runs), 3),
                "client_cpu_s": round(statistics.median(r[1] for r in runs), 3),
                "platform_cpu_s": round(statistics.median(r[2] for r in runs), 3),
            }
        reference = figures["curl_sequential"]["wall_s"]
        for values in figures.values():
            values["ratio_vs_curl_sequential"] = round(reference / values["wall_s"], 2)
        figures["best_ratio_of_any_client"] = max(
            v["ratio_vs_curl_sequential"] for v in figures.values() if isinstance(v, dict)
        )
        figures["cpus"] = os.cpu_count()
        figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
        figures["repeat"] = REPEAT
        return figures
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
    sys.exit(0)
