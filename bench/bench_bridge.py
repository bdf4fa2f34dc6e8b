"""Bridge speed: GET /v1/status latency (p50/p99) and requests per second on loopback, and memory.

Measured on the real thing: `assistant run --headless` in its own process, HTTPS with its own CA
and the plain-HTTP listener, driven by `wrk` (keep-alive, 2 threads, 16 connections). The
reference is the standard library's ThreadingHTTPServer answering the same JSON bytes with the same
TLS certificate, one write per response and no checks at all: the ratio is the cost of the bridge's
guards and routing (the reference's TLS handshake runs in its accept loop; wrk keeps connections
alive, so that hardly matters here).
Memory: the bridge's RSS before and after 10,000 requests from a bounded Python client (which also
gives a sequential, one-connection latency).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WRK_SECONDS = 5
WRK_THREADS = 2
WRK_CONNECTIONS = 16
MEMORY_REQUESTS = 10_000

REFERENCE_SERVER = textwrap.dedent(
    """
    import json, ssl, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    body = sys.argv[3].encode()

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_GET(self):
            # One write per response, as the bridge does (the stock end_headers() + write() pair
            # stalls ~40 ms per request on Nagle + delayed ACK, which would flatter the bridge).
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self._headers_buffer.append(b"\\r\\n" + body)
            self.flush_headers()
        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    server.daemon_threads = True
    if sys.argv[1] != "-":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(sys.argv[1], sys.argv[2])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """
)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _wrk(url: str) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if not wrk:
        raise RuntimeError("wrk is required (installers/dev/debian-packages.txt)")
    out = subprocess.run(
        [wrk, f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 3)

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    return {
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "requests_per_s": round(float(rps.group(1)), 1) if rps else 0.0,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def _sequential(host: str, port: int, context: ssl.SSLContext | None, count: int) -> dict[str, Any]:
    """`count` requests, one keep-alive connection at a time (reconnecting when the server closes)."""
    latencies: list[float] = []
    conn: http.client.HTTPConnection | None = None
    for _ in range(count):
        if conn is None:
            conn = (
                http.client.HTTPSConnection(host, port, context=context, timeout=10)
                if context
                else http.client.HTTPConnection(host, port, timeout=10)
            )
        start = time.perf_counter()
        conn.request("GET", "/v1/status", headers={"Host": f"{host}:{port}"})
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            raise RuntimeError(f"status {response.status}")
        if response.will_close:
            conn.close()
            conn = None
    if conn is not None:
        conn.close()
    latencies.sort()
    return {
        "requests": count,
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
    }


def main() -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="bench-bridge-"))
    env = dict(os.environ, ASSISTANT_HOME=str(home))
    bridge = subprocess.Popen(
        [sys.executable, "-m", "assistant", "run", "--headless", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    reference: list[subprocess.Popen[str]] = []
    try:
        assert bridge.stdout is not None
        https_url = bridge.stdout.readline().strip()
        lines = [bridge.stdout.readline().strip() for _ in range(2)]
        http_url = next(line.split(" : ", 1)[1] for line in lines if " : http://" in line)
        https_port = int(https_url.rsplit(":", 1)[1])
        http_port = int(http_url.rsplit(":", 1)[1])
        identity_dir = home / "data" / "bridge"
        context = ssl.create_default_context(cafile=str(identity_dir / "ca.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", https_port, context=context, timeout=10)
        conn.request("GET", "/v1/status")
        status_body = conn.getresponse().read().decode()
        conn.close()

        figures: dict[str, Any] = {"machine_cpus": os.cpu_count()}
        rss_start = _rss_kib(bridge.pid)
        figures["bridge_https_wrk"] = _wrk(f"{https_url}/v1/status")
        figures["bridge_http_wrk"] = _wrk(f"{http_url}/v1/status")

        for label, tls_on in (("reference_https_wrk", True), ("reference_http_wrk", False)):
            args = (
                [str(identity_dir / "localhost.pem"), str(identity_dir / "localhost-key.pem")] if tls_on else ["-", "-"]
            )
            proc = subprocess.Popen(
                [sys.executable, "-c", REFERENCE_SERVER, *args, status_body],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            reference.append(proc)
            assert proc.stdout is not None
            port = int(proc.stdout.readline())
            scheme = "https" if tls_on else "http"
            figures[label] = _wrk(f"{scheme}://127.0.0.1:{port}/v1/status")
            proc.terminate()
            proc.wait(10)

        rss_before = _rss_kib(bridge.pid)
        figures["bridge_https_sequential"] = _sequential("127.0.0.1", https_port, context, MEMORY_REQUESTS)
        rss_after = _rss_kib(bridge.pid)
        figures["bridge_http_sequential"] = _sequential("127.0.0.1", http_port, None, MEMORY_REQUESTS)
        rss_after_20k = _rss_kib(bridge.pid)
        figures["bridge_rss_kib"] = {
            "at_start": rss_start,
            "after_wrk_runs": rss_before,
            "after_10000_more_https": rss_after,
            "after_10000_more_http": rss_after_20k,
        }
        for proto in ("https", "http"):
            ours = figures[f"bridge_{proto}_wrk"]["requests_per_s"]
            ref = figures[f"reference_{proto}_wrk"]["requests_per_s"]
            figures[f"ratio_{proto}_rps_bridge_over_reference"] = round(ours / ref, 3) if ref else None
        return figures
    finally:
        bridge.send_signal(signal.SIGTERM)
        try:
            bridge.wait(20)
        except subprocess.TimeoutExpired:
            bridge.kill()
        for proc in reference:
            if proc.poll() is None:
                proc.kill()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
