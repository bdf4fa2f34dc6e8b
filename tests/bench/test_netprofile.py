"""The network-profile proxy itself: the round trip, the rates and the resets it promises, measured."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from bench.netprofile import PROFILES, NetProfileProxy, Profile, mbit, profile


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(socketserver.BaseRequestHandler):
    """`e<payload>`: echo; `s<n>\\n`: send n bytes; `r<n>\\n`: read n bytes, answer 'ok'."""

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError):  # the proxy's resets
            self._handle()

    def _handle(self) -> None:
        sock = self.request
        while True:
            head = sock.recv(1)
            if not head:
                return
            if head == b"e":
                sock.sendall(sock.recv(1))
                continue
            line = b""
            while not line.endswith(b"\n"):
                more = sock.recv(1)
                if not more:
                    return
                line += more
            n = int(line)
            if head == b"s":
                block = b"x" * 65536
                while n > 0:
                    sock.sendall(block[: min(n, len(block))])
                    n -= len(block)
            else:
                while n > 0:
                    got = sock.recv(min(n, 65536))
                    if not got:
                        return
                    n -= len(got)
                sock.sendall(b"ok")


@pytest.fixture
def upstream() -> Iterator[tuple[str, int]]:
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ("127.0.0.1", server.server_address[1])
    server.shutdown()
    server.server_close()


def _receive(sock: socket.socket, n: int) -> int:
    got = 0
    while got < n:
        data = sock.recv(1 << 20)
        if not data:
            break
        got += len(data)
    return got


def _round_trip(sock: socket.socket) -> float:
    start = time.perf_counter()
    sock.sendall(b"ea")
    assert sock.recv(1) == b"a"
    return time.perf_counter() - start


def test_round_trip_and_handshake(upstream: tuple[str, int]) -> None:
    link = Profile("test", rtt=0.1, down=0, up=0)
    with NetProfileProxy(link, upstream) as proxy, socket.create_connection(("127.0.0.1", proxy.port)) as sock:
        first = _round_trip(sock)  # the handshake's round trip, then the request's
        later = sorted(_round_trip(sock) for _ in range(5))[2]
    assert 0.19 <= first <= 0.28, first
    assert 0.095 <= later <= 0.14, later


def test_download_rate_per_connection_and_total(upstream: tuple[str, int]) -> None:
    # 8 Mbit/s per connection, 12 in total: one connection gets 1 MB/s, two share 1.5 MB/s.
    link = Profile("test", rtt=0.02, down=mbit(12), up=0, down_per_connection=mbit(8))
    with NetProfileProxy(link, upstream) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
            _round_trip(sock)
            start = time.perf_counter()
            sock.sendall(b"s1500000\n")
            assert _receive(sock, 1_500_000) == 1_500_000
            one = 1.5e6 / (time.perf_counter() - start)
        socks = [socket.create_connection(("127.0.0.1", proxy.port)) for _ in range(2)]
        try:
            for sock in socks:
                _round_trip(sock)
            start = time.perf_counter()
            threads = []
            for sock in socks:
                sock.sendall(b"s1500000\n")
                threads.append(threading.Thread(target=_receive, args=(sock, 1_500_000)))
                threads[-1].start()
            for thread in threads:
                thread.join(30)
            both = 3e6 / (time.perf_counter() - start)
        finally:
            for sock in socks:
                sock.close()
    assert 0.8e6 <= one <= 1.08e6, one
    assert 1.2e6 <= both <= 1.6e6, both


def test_upload_rate_is_its_own(upstream: tuple[str, int]) -> None:
    assert PROFILES["adsl"].up < PROFILES["adsl"].down  # the profiles' upload is a parameter of its own
    link = Profile("test", rtt=0.02, down=mbit(100), up=mbit(4))
    with NetProfileProxy(link, upstream) as proxy, socket.create_connection(("127.0.0.1", proxy.port)) as sock:
        _round_trip(sock)
        start = time.perf_counter()
        sock.sendall(b"r500000\n" + b"y" * 500_000)
        assert sock.recv(2) == b"ok"
        rate = 5e5 / (time.perf_counter() - start)
        assert proxy.stats.bytes_up >= 500_000
    assert 0.4e6 <= rate <= 0.53e6, rate


def test_resets_are_seeded_and_cut_mid_stream(upstream: tuple[str, int]) -> None:
    link = Profile("test", rtt=0.0, down=0, up=0, reset_mean_bytes=300_000, seed=7)

    def cuts() -> list[float]:
        with NetProfileProxy(link, upstream) as proxy:
            for _ in range(4):
                with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
                    sock.sendall(b"s5000000\n")
                    got = 0
                    with contextlib.suppress(ConnectionResetError):
                        while data := sock.recv(1 << 20):
                            got += len(data)
                    points = proxy.stats.reset_points
                    if points[-1] < 5_000_000:
                        # Cut where the seed said (what was in flight is lost, as on a real cut).
                        assert got <= proxy.stats.per_connection_down[-1] <= points[-1] < 5_000_000
                    else:
                        assert got == 5_000_000
            assert proxy.stats.resets == sum(1 for p in points if p < 5_000_000) >= 1
            return list(points)

    assert cuts() == cuts()  # the same seed cuts at the same points


def test_profiles_named_in_the_issue() -> None:
    assert profile("fibre").rtt == 0.010 and profile("fibre").down == mbit(1000)
    assert profile("4G") is PROFILES["adsl"] and PROFILES["adsl"].rtt == 0.040 and PROFILES["adsl"].down == mbit(20)
    assert PROFILES["lossy"].rtt == 0.080 and PROFILES["lossy"].reset_mean_bytes > 0
    with pytest.raises(ValueError, match="unknown network profile"):
        profile("carrier-pigeon")


def test_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        NetProfileProxy(PROFILES["fibre"], ("192.0.2.1", 80))
