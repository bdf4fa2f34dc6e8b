"""A network between the assistant and the platform: a TCP proxy on 127.0.0.1 that adds latency,
caps bandwidth and cuts connections, so that benchmarks and tests see what users see.

On loopback nothing waits for the network: a download there measures CPU. Real users are 10 to
80 ms away from the platform, behind links of 1 Gbit/s down to a few Mbit/s, and some links cut
connections. This proxy sits between any client (the assistant, curl, aria2c) and the demo
platform and, for every connection:

- delays each direction by half the round trip (`rtt / 2`), chunk by chunk, like a long wire:
  bytes already in flight keep flowing, so a window of data pipelines as on a real link; opening
  a connection costs one more round trip (the TCP handshake), which is what connection reuse saves;
- paces each direction to the profile's rate, per connection (what one TCP stream gets from a
  far server or a lossy link) and in total (the access link, shared by all connections);
  upload (client to platform) has its own, usually lower, rates;
- on a "lossy" profile, resets connections now and then (RST, as a mobile hand-over or a NAT
  time-out does), at points drawn from a seeded generator: the same seed cuts the same way.

Bounded: each direction holds at most about one bandwidth-delay product of bytes (a bounded
queue; the upstream read pauses when it is full), and at most `max_connections` connections are
served at once. Loopback only: it listens on 127.0.0.1 and forwards to a loopback address.

    proxy = NetProfileProxy(PROFILES["adsl"], ("127.0.0.1", platform_port)).start()
    url = proxy.rewrite(platform_url)      # http://127.0.0.1:<proxy port>/...
    ...
    proxy.stop()

As a process (for benchmarks, so that its CPU is not the client's):
    python -m bench.netprofile adsl 127.0.0.1:8080 --port-file /tmp/port
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import math
import random
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

#: Bytes read at once from a socket. Large enough that pacing 1 Gbit/s costs ~1,000 wake-ups a
#: second per direction, small enough that a paced chunk is a fraction of a millisecond there.
CHUNK = 128 * 1024


@dataclass(frozen=True)
class Profile:
    """A link. Rates in bytes per second (0 = no limit); `rtt` in seconds."""

    name: str
    rtt: float
    down: float
    up: float
    #: What one connection gets at most (0 = only the total applies).
    down_per_connection: float = 0.0
    up_per_connection: float = 0.0
    #: Mean bytes a connection carries (down) before it is reset; 0 = never reset.
    reset_mean_bytes: float = 0.0
    seed: int = 0
    description: str = ""

    def with_seed(self, seed: int) -> Profile:
        return replace(self, seed=seed)


def mbit(value: float) -> float:
    """Mbit/s to bytes per second."""
    return value * 1e6 / 8


PROFILES: dict[str, Profile] = {
    "loopback": Profile("loopback", 0.0, 0.0, 0.0, description="no delay, no limit (the proxy's own cost only)"),
    "fibre": Profile(
        "fibre",
        0.010,
        mbit(1000),
        mbit(500),
        down_per_connection=mbit(400),
        up_per_connection=mbit(400),
        description="FTTH: RTT 10 ms, 1 Gbit/s down, 500 Mbit/s up, 400 Mbit/s per TCP stream",
    ),
    "adsl": Profile(
        "adsl",
        0.040,
        mbit(20),
        mbit(2),
        down_per_connection=mbit(20),
        up_per_connection=mbit(2),
        description="ADSL2+/4G: RTT 40 ms, 20 Mbit/s down, 2 Mbit/s up",
    ),
    "lossy": Profile(
        "lossy",
        0.080,
        mbit(10),
        mbit(2),
        down_per_connection=mbit(4),
        up_per_connection=mbit(1),
        reset_mean_bytes=24e6,
        seed=15,
        description="poor 4G: RTT 80 ms, 10 Mbit/s down (4 per TCP stream), 2 up, a reset every ~24 MB per connection",
    ),
}


def profile(name: str) -> Profile:
    """A profile by name ('4g' is 'adsl'); a clear error for an unknown name."""
    key = {"4g": "adsl", "adsl/4g": "adsl", "fiber": "fibre"}.get(name.lower(), name.lower())
    try:
        return PROFILES[key]
    except KeyError:
        raise ValueError(f"unknown network profile {name!r} (known: {', '.join(PROFILES)})") from None


@dataclass
class _Pace:
    """A rate limiter: the time at which the link is free again (0 rate = no limit)."""

    rate: float
    free_at: float = 0.0

    def book(self, now: float, n: int) -> float:
        if not self.rate:
            return now
        start = max(now, self.free_at)
        self.free_at = start + n / self.rate
        return self.free_at


@dataclass
class ProxyStats:
    connections: int = 0
    active: int = 0
    resets: int = 0
    bytes_down: int = 0
    bytes_up: int = 0
    #: upstream connections that failed (the platform not listening)
    refused: int = 0
    per_connection_down: list[int] = field(default_factory=list)
    #: the bytes after which each connection is reset (drawn from the seed, in accept order)
    reset_points: list[float] = field(default_factory=list)


class _Reset(Exception):
    pass


class NetProfileProxy:
    """The proxy, run in a thread of its own with its own event loop (`start`/`stop`)."""

    def __init__(
        self,
        profile: Profile,
        upstream: tuple[str, int],
        *,
        port: int = 0,
        max_connections: int = 64,
    ) -> None:
        host, _ = upstream
        if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
            raise ValueError("the network-profile proxy forwards to loopback only")
        self.profile = profile
        self.upstream = upstream
        self.port = port
        self.max_connections = max_connections
        self.stats = ProxyStats()
        self._rng = random.Random(profile.seed)
        self._down_total = _Pace(profile.down)
        self._up_total = _Pace(profile.up)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._slots: asyncio.Semaphore | None = None
        self._error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> NetProfileProxy:
        self._thread = threading.Thread(target=self._run, name=f"netprofile-{self.profile.name}", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._open())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _open(self) -> None:
        self._slots = asyncio.Semaphore(self.max_connections)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, limit=CHUNK, backlog=128)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(close(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        self._loop = None

    def __enter__(self) -> NetProfileProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def rewrite(self, url: str) -> str:
        """`url` on the platform, through the proxy instead (same scheme and path)."""
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, self.address, parts.path, parts.query, parts.fragment))

    # -- one connection ----------------------------------------------------------------------

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        assert self._slots is not None
        async with self._slots:
            self.stats.connections += 1
            self.stats.active += 1
            index = len(self.stats.per_connection_down)
            self.stats.per_connection_down.append(0)
            budget = (
                self._rng.expovariate(1 / self.profile.reset_mean_bytes) if self.profile.reset_mean_bytes else math.inf
            )
            self.stats.reset_points.append(budget)
            try:
                _nodelay(client_writer)
                # The TCP handshake with a far server: one round trip before any byte goes through.
                if self.profile.rtt:
                    await asyncio.sleep(self.profile.rtt)
                try:
                    up_reader, up_writer = await asyncio.open_connection(*self.upstream, limit=CHUNK)
                except OSError:
                    self.stats.refused += 1
                    _abort(client_writer)
                    return
                _nodelay(up_writer)
                p = self.profile
                down = asyncio.ensure_future(
                    self._direction(
                        up_reader, client_writer, _Pace(p.down_per_connection), self._down_total, index, budget
                    )
                )
                up = asyncio.ensure_future(
                    self._direction(
                        client_reader, up_writer, _Pace(p.up_per_connection), self._up_total, None, math.inf
                    )
                )
                done, _ = await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
                if up in done and not down.done() and up.exception() is None:
                    # The client finished sending (EOF): the answer still comes back.
                    await asyncio.wait({down})
                failed = [
                    t.exception() for t in (down, up) if t.done() and not t.cancelled() and t.exception() is not None
                ]
                for task in (down, up):
                    task.cancel()  # the platform closed its side: the client's side is over too
                if failed:
                    if any(isinstance(e, _Reset) for e in failed):
                        self.stats.resets += 1
                    _abort(client_writer)
                    _abort(up_writer)
                else:
                    up_writer.close()
            except (asyncio.CancelledError, ConnectionError):
                _abort(client_writer)
                raise
            finally:
                self.stats.active -= 1
                with contextlib.suppress(Exception):
                    client_writer.close()

    async def _direction(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        own: _Pace,
        total: _Pace,
        index: int | None,
        budget: float,
    ) -> None:
        """Bytes from `reader` to `writer`, each chunk delivered `rtt / 2` after it was read and
        not before the per-connection and total paces allow. The queue holds about one
        bandwidth-delay product: when it is full the read waits (backpressure)."""
        loop = asyncio.get_running_loop()
        delay = self.profile.rtt / 2
        rate = min(r for r in (own.rate, total.rate, 1e12) if r)
        depth = max(4, math.ceil(rate * max(delay, 0.001) / CHUNK) * 2 + 2)
        piece = max(1460, min(CHUNK, int(rate * 0.01)))
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(maxsize=depth)

        async def pump() -> None:
            while True:
                data = await reader.read(CHUNK)
                await queue.put((loop.time() + delay, data))
                if not data:
                    return

        reading = asyncio.ensure_future(pump())
        carried = 0
        try:
            while True:
                due, data = await queue.get()
                if not data:
                    with contextlib.suppress(OSError, RuntimeError):
                        if writer.can_write_eof():
                            writer.write_eof()
                    return
                if carried + len(data) > budget:
                    # A cut in the middle of a body: what fits before it still goes through.
                    keep = max(0, int(budget - carried))
                    if keep:
                        writer.write(data[:keep])
                        with contextlib.suppress(ConnectionError):
                            await writer.drain()
                        if index is not None:
                            self.stats.bytes_down += keep
                            self.stats.per_connection_down[index] += keep
                    raise _Reset()
                view = memoryview(data)
                for offset in range(0, len(data), piece):
                    # Paced in slices of ~10 ms of the link's time: a slow link delivers a
                    # steady trickle, not a burst of a whole read every half second.
                    chunk = view[offset : offset + piece]
                    now = loop.time()
                    ready = max(due, own.book(now, len(chunk)), total.book(now, len(chunk)))
                    if ready > now:
                        await asyncio.sleep(ready - now)
                    writer.write(chunk)
                    await writer.drain()
                carried += len(data)
                if index is not None:
                    self.stats.bytes_down += len(data)
                    self.stats.per_connection_down[index] += len(data)
                else:
                    self.stats.bytes_up += len(data)
        finally:
            reading.cancel()


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a cut link appears to the other side."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.netprofile", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("profile", help=f"one of {', '.join(PROFILES)}")
    parser.add_argument("upstream", help="host:port of the platform (loopback)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", type=Path, help="write the proxy's port here once listening")
    parser.add_argument("--seed", type=int, help="seed of the resets (lossy profile)")
    args = parser.parse_args(argv)
    chosen = profile(args.profile)
    if args.seed is not None:
        chosen = chosen.with_seed(args.seed)
    host, _, port = args.upstream.rpartition(":")
    proxy = NetProfileProxy(chosen, (host or "127.0.0.1", int(port)), port=args.port).start()
    if args.port_file:
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(str(proxy.port))
        tmp.replace(args.port_file)
    print(f"{chosen.name} proxy on {proxy.address} -> {args.upstream}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
