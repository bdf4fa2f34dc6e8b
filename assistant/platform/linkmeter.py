"""What the link to the platform is like, measured on the job's own requests: round trip and
throughput of one stream, and from them how many connections a download should use.

On loopback nothing waits for the network and a few connections keep the CPU busy; on a real
link each request waits a round trip (RTT) before its first byte, so a connection fetching small
files spends most of its time waiting. With `s` bytes per file and one stream receiving at `r`
bytes/s, a connection is busy receiving `s / r` out of every `RTT + s / r` seconds: to keep
`BASE` streams receiving at any moment, `BASE * (1 + RTT * r / s)` connections are needed, rounded (10 ms
and 200 KB files at 50 MB/s per stream: 4 -> 14; a saturated ADSL link, 40 ms at 0.6 MB/s per
stream: 4, more would only share it). Large files use
ranges over several connections once the link is measured not to be loopback (a round trip of at
least `REAL_LINK_RTT`): one TCP stream rarely gets a whole link from a far server.

Samples: the time from sending a request to its response's headers (`first_byte`, the round
trip plus the server's time; a new connection adds its handshakes, a loaded CPU its delays:
the shortest one is kept) and each body's bytes over its receiving time (`body`). Thread-safe, bounded.
"""

from __future__ import annotations

import threading
from collections import deque

#: Streams kept receiving at once (what curl --parallel and aria2c use by default).
BASE = 4
#: Never more connections than this to one platform (servers throttle or refuse beyond).
MAX_CONNECTIONS = 16
#: A round trip at least this long is a real network: loopback answers in ~0.1 ms, and in 2-4 ms
#: at the slowest on a machine loaded 5x over its cores (measured); a platform is 5-80 ms away.
REAL_LINK_RTT = 0.005
#: Bodies smaller than this say little about a stream's throughput (headers and body in one read);
#: 4 KB keeps 20 KB files measured (latency then dominates: more connections, as it should).
MIN_RATE_SAMPLE = 4 * 1024
SAMPLES = 64
#: Requests measured before the count may grow: the first ones also pay for opening their
#: connection (and, on a loaded machine, for the threads starting), which looks like distance.
#: 16 rather than 8: on loopback with the machine loaded 5-6x over its cores, the shortest of
#: 8 answers was sometimes over REAL_LINK_RTT and the count grew to 16 for nothing (~10 % slower
#: there); 8 more requests cost a 10 ms link about 20 ms before it grows.
SETTLED = 16


class LinkMeter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: The shortest time to first byte of the whole job, not of recent requests: with more
        #: connections a busy platform answers later, and a recent window then mistook a loaded
        #: loopback for a far link and added connections (measured: 2.2 ms median and 0.34 ms
        #: shortest at 4 connections, 7.2 ms median at 16, on loopback under load).
        self._first: float | None = None
        self._samples = 0
        self._rates: deque[float] = deque(maxlen=SAMPLES)

    def first_byte(self, seconds: float) -> None:
        with self._lock:
            self._samples += 1
            if self._first is None or seconds < self._first:
                self._first = seconds

    def body(self, size: int, seconds: float) -> None:
        if size >= MIN_RATE_SAMPLE and seconds > 0:
            with self._lock:
                self._rates.append(size / seconds)

    def rtt(self) -> float | None:
        """The shortest time to first byte (None before any request): a far link is never
        faster than its round trip, while a busy CPU or a new connection only adds to it."""
        with self._lock:
            return self._first

    def stream_rate(self) -> float | None:
        """The median throughput of one stream while it receives (bytes/s)."""
        with self._lock:
            samples = sorted(self._rates)
        return samples[len(samples) // 2] if samples else None

    @property
    def samples(self) -> int:
        """Times to first byte measured so far."""
        with self._lock:
            return self._samples

    def real_link(self) -> bool | None:
        """Whether the platform is measurably far (None: not measured yet)."""
        rtt = self.rtt()
        return None if rtt is None else rtt >= REAL_LINK_RTT

    def connections(self, mean_size: float, base: int = BASE, most: int = MAX_CONNECTIONS) -> int:
        """How many connections keep `base` streams receiving files of `mean_size` bytes."""
        rtt, rate = self.rtt(), self.stream_rate()
        with self._lock:
            settled = self._samples >= SETTLED
        if rtt is None or rate is None or not settled or mean_size <= 0 or rtt < REAL_LINK_RTT:
            return base
        return max(base, min(most, int(base * (1 + rtt * rate / mean_size) + 0.5)))
