"""The demo platform receives uploads (the online opening's decrypted envelopes) as a stream.

A body goes to disk piece by piece while it is hashed (a 2 GB archive is never held in memory),
under a hidden temporary name that becomes the file only when the whole body arrived; a client
that stops sending half way (a reset, a cut link) leaves no file and one line in the log, not a
traceback per connection.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import socket
import struct
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.demo import server as demo_server
from assistant.demo.content import ContentSpec
from assistant.demo.server import DemoPlatform
from tests.pki import require_tool

BLOCK = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPlatform]:
    require_tool("openssl")
    spec = ContentSpec(consultations=1, plis=1, envelopes=1, file_size=1024)
    platform = DemoPlatform(data_dir=tmp_path_factory.mktemp("demo"), spec=spec, seed_credentials=False).start()
    yield platform
    platform.stop()


def _request_head(demo: DemoPlatform, name: str, length: int) -> bytes:
    return (
        f"PUT /uploads/ouverture/{name} HTTP/1.1\r\nHost: 127.0.0.1:{demo.port}\r\n"
        f"Authorization: Bearer {demo.issue_token()}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def _uploads(demo: DemoPlatform) -> Path:
    return demo.data_dir / "uploads" / "ouverture"


def test_a_large_body_is_streamed_to_disk(demo: DemoPlatform) -> None:
    size = 48 * len(BLOCK) + 12_345
    expected = hashlib.sha256()
    for _ in range(48):
        expected.update(BLOCK)
    expected.update(BLOCK[:12_345])

    def body() -> Iterator[bytes]:
        for _ in range(48):
            yield BLOCK
        yield BLOCK[:12_345]

    connection = http.client.HTTPConnection("127.0.0.1", demo.port, timeout=30)
    tracemalloc.start()
    try:
        connection.request(
            "PUT",
            "/uploads/ouverture/grande-archive.zip",
            body=body(),
            headers={"Authorization": f"Bearer {demo.issue_token()}", "Content-Length": str(size)},
        )
        reply = connection.getresponse()
        answer = reply.read()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        connection.close()
    assert reply.status == 201, answer
    target = _uploads(demo) / "grande-archive.zip"
    assert target.stat().st_size == size
    assert hashlib.sha256(target.read_bytes()).hexdigest() == expected.hexdigest()
    assert demo.stats.uploads["ouverture/grande-archive.zip"] == {"size": size, "sha256": expected.hexdigest()}
    # The server and this client share the process: both together stay far below the 49 MB body.
    assert peak < 12 << 20, f"{peak / 2**20:.1f} MiB held while receiving 49 MB"
    assert not [p.name for p in _uploads(demo).iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("how", ["reset", "closed"])
def test_a_client_gone_half_way_leaves_nothing_and_one_line(
    how: str, demo: DemoPlatform, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger=demo_server.log.name)
    name = f"coupe-{how}.pdf"
    with socket.create_connection(("127.0.0.1", demo.port)) as sock:
        sock.sendall(_request_head(demo, name, 8 * len(BLOCK)))
        sock.sendall(BLOCK)
        time.sleep(0.2)  # the server is reading the body
        if how == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
        else:
            sock.shutdown(socket.SHUT_WR)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(name in r.getMessage() for r in caplog.records):
        time.sleep(0.05)
    time.sleep(0.2)  # anything else the server would print about it
    lines = [r.getMessage() for r in caplog.records if name in r.getMessage()]
    assert len(lines) == 1, lines
    assert "1048576 of 8388608 bytes" in lines[0]
    assert "Traceback" not in capfd.readouterr().err
    assert not (_uploads(demo) / name).exists()
    assert not [p.name for p in _uploads(demo).iterdir() if p.name.startswith(f".{name}")]
    assert f"ouverture/{name}" not in demo.stats.uploads


def test_a_body_over_the_limit_is_refused_unread(demo: DemoPlatform, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_server, "UPLOAD_LIMIT", 1 << 20)
    with socket.create_connection(("127.0.0.1", demo.port), timeout=10) as sock:
        sock.sendall(_request_head(demo, "trop-grand.zip", (1 << 20) + 1))
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    assert not (_uploads(demo) / "trop-grand.zip").exists()
