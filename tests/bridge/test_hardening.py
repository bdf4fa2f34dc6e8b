"""Slow clients, hostile text: the bridge keeps serving and keeps nothing half-made."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.bridge.helpers import call

PAGE = "https://marches.example.fr"


class SlowClients:
    """Connections that send a request's first bytes, then one more byte now and then (slowloris),
    or nothing at all (a TLS handshake never started)."""

    def __init__(self) -> None:
        self.socks: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def open(self, port: int, count: int, *, silent: bool = False) -> None:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if not silent:
                sock.sendall(f"GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode())
            self.socks.append(sock)

    def _trickle(self) -> None:
        while not self.stop.wait(0.5):
            for sock in list(self.socks):
                with contextlib.suppress(OSError):  # shut by the bridge: closed_by_the_bridge() counts it
                    sock.send(b"a")

    def closed_by_the_bridge(self) -> int:
        """How many of them the bridge has shut (reading gives end-of-stream or a reset)."""
        count = 0
        for sock in self.socks:
            sock.setblocking(False)
            try:
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    count += 1
            except BlockingIOError:
                pass
            except OSError:
                count += 1
        return count

    def close(self) -> None:
        self.stop.set()
        for sock in self.socks:
            sock.close()


@pytest.fixture
def slow_clients() -> Iterator[SlowClients]:
    clients = SlowClients()
    yield clients
    clients.close()


def test_a_normal_client_is_served_while_many_slow_ones_hold_connections(start_bridge, slow_clients) -> None:
    run = start_bridge(approved=(PAGE,))
    bridge = run.bridge
    assert bridge.https_port and bridge.http_port
    # More slow connections than a listener has slots, on every listener, some of them silent
    # TLS connections that never start their handshake.
    slow_clients.open(bridge.http_port, 80)
    slow_clients.open(bridge.https_port, 50, silent=True)
    slow_clients.open(bridge.https_port, 30)
    slow_clients.thread.start()
    time.sleep(1.0)
    for tls in (True, False):
        for _ in range(5):
            began = time.monotonic()
            reply = call(bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}, tls=tls, timeout=5)
            assert reply.status == 200 and reply.json() == {"jobs": []}
            assert time.monotonic() - began < 2.0
    # Each listener holds at most its cap; the slow ones made room for the normal client.
    assert all(len(table) <= bridge.max_connections for table in bridge._tables)
    assert sum(table.evicted for table in bridge._tables) >= 80 - bridge.max_connections


def test_a_request_too_slow_to_arrive_is_cut_at_its_deadline(start_bridge, slow_clients) -> None:
    run = start_bridge(request_deadline=2.0)
    assert run.bridge.http_port and run.bridge.https_port
    slow_clients.open(run.bridge.http_port, 3)
    slow_clients.open(run.bridge.https_port, 2, silent=True)
    slow_clients.thread.start()
    time.sleep(1.0)
    assert slow_clients.closed_by_the_bridge() == 0  # still within their deadline, bytes flowing
    deadline = time.monotonic() + 5
    while slow_clients.closed_by_the_bridge() < 5 and time.monotonic() < deadline:
        time.sleep(0.25)
    # Trickling one byte every half second does not keep a request alive past 2 s.
    assert slow_clients.closed_by_the_bridge() == 5
    assert time.monotonic() < deadline
    assert call(run.bridge, "GET", "/v1/status").status == 200


def test_a_lone_surrogate_is_refused_before_any_work(start_bridge) -> None:
    run = start_bridge(approved=(PAGE,))
    for body in (
        b'{"version": 1, "type": "diagnose", "label": "\\ud800", "params": {}}',
        b'{"version": 1, "type": "diagnose", "params": {"\\udfff": 1}}',
        b'{"version": 1, "type": "diagnose", "label": "ok \\ud83d\\ude00 \\udc00", "params": {}}',
    ):
        reply = call(
            run.bridge, "POST", "/v1/jobs", body=body, headers={"Origin": PAGE, "Content-Type": "application/json"}
        )
        assert reply.status == 400, reply.body
        assert reply.json()["code"] == "invalid_json"
        assert "JSON valide" in reply.json()["message"]
    assert run.engine.jobs() == []
    # A well-formed pair is text (an emoji), and the origin's job list still answers.
    good = json.dumps({"version": 1, "type": "diagnose", "label": "ok \U0001f600", "params": {}}, ensure_ascii=True)
    reply = call(
        run.bridge, "POST", "/v1/jobs", body=good.encode(), headers={"Origin": PAGE, "Content-Type": "application/json"}
    )
    assert reply.status == 202, reply.body
    listed = call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE})
    assert listed.status == 200 and len(listed.json()["jobs"]) == 1
