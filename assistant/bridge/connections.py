"""Connection slots and deadlines of one listener: slow clients cannot hold the bridge.

Any local process can open connections to 127.0.0.1. A socket timeout alone does not stop a
"slowloris" client that sends one header byte every few seconds: each read succeeds, and the
connection lives for ever. So:

- every request (TLS handshake included for the first one) has a **deadline** for its request
  line, headers and body, counted from the moment the bridge starts waiting for it; past it, the
  connection is shut down, however busy the client looks;
- each listener has its own **cap** on connections (one flooded listener does not starve the
  others);
- when a listener is full, a new connection **evicts the oldest one still waiting for its
  request** (a slow client, or an idle keep-alive) rather than being turned away: a client that
  sends a whole request at once always gets in. Connections doing work (a job submission, an
  event stream) are never evicted; when every slot does work, the newcomer is closed.

One reaper thread per bridge enforces the deadlines of all its listeners.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: Connections one listener holds at once.
MAX_CONNECTIONS_PER_LISTENER = 64
#: Seconds for a request's line, headers and body (and the TLS handshake before the first one).
REQUEST_DEADLINE = 15.0
#: How often the reaper looks at the deadlines.
REAP_INTERVAL = 0.25


@dataclass
class _Slot:
    sock: socket.socket
    #: time.monotonic() by which the request must be read; None while the request is worked on.
    deadline: float | None
    waiting_since: float


class ConnectionTable:
    """The slots of one listener. Thread-safe."""

    def __init__(
        self,
        capacity: int = MAX_CONNECTIONS_PER_LISTENER,
        deadline: float = REQUEST_DEADLINE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.deadline = deadline
        self._clock = clock
        self._slots: dict[int, _Slot] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.evicted = 0
        self.expired = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._slots)

    def admit(self, sock: socket.socket) -> int | None:
        """A slot for a new connection (its deadline armed), evicting the oldest waiting one if the
        listener is full; None when every slot is doing work."""
        now = self._clock()
        victim: _Slot | None = None
        with self._lock:
            if len(self._slots) >= self.capacity:
                waiting = [(s.waiting_since, key) for key, s in self._slots.items() if s.deadline is not None]
                if not waiting:
                    return None
                _since, key = min(waiting)
                victim = self._slots.pop(key)
                self.evicted += 1
            ident = next(self._ids)
            self._slots[ident] = _Slot(sock, now + self.deadline, now)
        if victim is not None:
            _shut(victim.sock)
        return ident

    def replace_socket(self, ident: int, sock: socket.socket) -> None:
        """After the TLS handshake the wrapped socket owns the descriptor."""
        with self._lock:
            slot = self._slots.get(ident)
            if slot is not None:
                slot.sock = sock

    def waiting(self, ident: int) -> None:
        """The connection waits for (the rest of) a request: the deadline runs from now."""
        now = self._clock()
        with self._lock:
            slot = self._slots.get(ident)
            if slot is not None:
                slot.deadline = now + self.deadline
                slot.waiting_since = now

    def working(self, ident: int) -> None:
        """The request is read: no deadline while the bridge works on it or streams the answer."""
        with self._lock:
            slot = self._slots.get(ident)
            if slot is not None:
                slot.deadline = None

    def release(self, ident: int) -> None:
        with self._lock:
            self._slots.pop(ident, None)

    def close_all(self) -> int:
        """Shut down every open connection (the bridge stops): a browser's kept-alive connection
        would otherwise go on being served after the listener closed, and the page would still
        see the assistant "En ligne". Returns how many."""
        with self._lock:
            victims = list(self._slots.values())
            self._slots.clear()
        for victim in victims:
            _shut(victim.sock)
        return len(victims)

    def reap(self) -> int:
        """Shut down every connection past its deadline; returns how many."""
        now = self._clock()
        with self._lock:
            late = [key for key, s in self._slots.items() if s.deadline is not None and s.deadline <= now]
            victims = [self._slots.pop(key) for key in late]
            self.expired += len(victims)
        for victim in victims:
            _shut(victim.sock)
        return len(victims)


def _shut(sock: socket.socket) -> None:
    """Wake the connection's thread out of its read: the plain socket's shutdown (an SSLSocket's own
    would tear its TLS state down under the reading thread)."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Reaper:
    """One thread that enforces the deadlines of several tables until stopped."""

    def __init__(self, tables: list[ConnectionTable], interval: float = REAP_INTERVAL) -> None:
        self.tables = tables
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bridge-reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            for table in list(self.tables):
                try:
                    table.reap()
                except Exception:  # the reaper must outlive any surprise
                    log.exception("bridge: reaping connections failed")
