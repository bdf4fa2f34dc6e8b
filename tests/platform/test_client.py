"""The platform client against the demo platform (in this process: a real HTTP server on loopback).

What the user relies on: a file takes its final name only when its SHA-256 matches; a cut
connection resumes from what is on disk; transient server errors are retried; a refused token
gives a clear French error; the token never shows in an error or in the logs.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.demo.content import ContentSpec
from assistant.demo.server import DemoPlatform
from assistant.errors import CancelledError
from assistant.platform.client import HashMismatchError, PlatformClient, PlatformError, TransferError, part_path
from assistant.progress import CancelToken
from tests.platform import served_when_settled

#: What the module-scoped `demo` platform of conftest.py serves.
DEMO_SPEC = ContentSpec(1, 2, 3, 1, 400 * 1024)


def a_file(demo: DemoPlatform, index: int = 0) -> tuple[dict[str, Any], str]:
    descriptor = demo.descriptor("download", {})
    files = [
        f for c in descriptor["params"]["consultations"] for p in c["plis"] for e in p["envelopes"] for f in e["files"]
    ]
    return files[index], descriptor["token"]


def test_download_is_verified_and_renamed(demo: DemoPlatform, tmp_path: Path) -> None:
    file, token = a_file(demo)
    client = PlatformClient(token)
    seen: list[int] = []
    stats = client.download(
        file["url"], tmp_path / file["name"], size=file["size"], sha256=file["sha256"], on_bytes=seen.append
    )
    assert hashlib.sha256((tmp_path / file["name"]).read_bytes()).hexdigest() == file["sha256"]
    assert sum(seen) == file["size"] == stats.fetched
    assert not part_path(tmp_path / file["name"]).exists()


def test_cut_connection_resumes_with_range(demo: DemoPlatform, tmp_path: Path) -> None:
    file, token = a_file(demo, 1)
    demo.faults.update({"drop_after": 100_000, "drop_count": 3})
    stats = PlatformClient(token, backoff=0.01).download(
        file["url"], tmp_path / "f", size=file["size"], sha256=file["sha256"]
    )
    assert hashlib.sha256((tmp_path / "f").read_bytes()).hexdigest() == file["sha256"]
    rel = file["url"].split("/files/", 1)[1]
    ranges = demo.stats.to_dict()["ranges"][rel]
    assert ranges[0] == 0 and ranges[1:] == sorted(ranges[1:]) and len(ranges) == 4 and all(r > 0 for r in ranges[1:])
    # Every byte crossed the wire once: what was received before each cut was kept.
    assert served_when_settled(demo, rel, file["size"]) == file["size"] == stats.fetched


def test_cuts_that_each_let_bytes_through_never_exhaust_the_retries(demo: DemoPlatform, tmp_path: Path) -> None:
    """A link that cuts every 50 KB (a poor mobile link): 7 cuts in a row, more than the 2 retries
    allowed, and still no failure, because each attempt moved the file forward; the retry count
    is for a platform that stopped answering, not for cuts resumed each time."""
    file, token = a_file(demo, 5)
    demo.faults.update({"drop_after": 50_000, "drop_count": 7})
    stats = PlatformClient(token, backoff=0.01, retries=2).download(
        file["url"], tmp_path / "f", size=file["size"], sha256=file["sha256"]
    )
    assert hashlib.sha256((tmp_path / "f").read_bytes()).hexdigest() == file["sha256"]
    rel = file["url"].split("/files/", 1)[1]
    assert len(demo.stats.to_dict()["ranges"][rel]) == 8  # the first request and 7 resumes
    assert served_when_settled(demo, rel, file["size"]) == file["size"] == stats.fetched  # each byte once
    # Without progress the count still ends it: a platform that keeps failing is reported.
    demo.faults.update({"fail_status": 503, "fail_count": 50})
    with pytest.raises(TransferError) as info:
        PlatformClient(token, backoff=0.01, retries=2).download(
            file["url"], tmp_path / "ko", size=file["size"], sha256=file["sha256"]
        )
    assert "après 3 tentatives" in info.value.message_fr


def test_restart_resumes_from_the_partial_file(demo: DemoPlatform, tmp_path: Path) -> None:
    file, token = a_file(demo, 2)
    data_path = demo.resolve_file(file["url"].split("/files/", 1)[1])
    assert data_path is not None
    dest = tmp_path / "f"
    part_path(dest).write_bytes(data_path.read_bytes()[:150_000])  # left by a previous run
    stats = PlatformClient(token).download(file["url"], dest, size=file["size"], sha256=file["sha256"])
    assert stats.resumed_from == 150_000 and stats.fetched == file["size"] - 150_000
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == file["sha256"]


def test_corrupt_partial_file_is_refused_not_renamed(demo: DemoPlatform, tmp_path: Path) -> None:
    file, token = a_file(demo, 3)
    dest = tmp_path / "f"
    part_path(dest).write_bytes(b"\x00" * 1000)  # garbage from elsewhere
    with pytest.raises(HashMismatchError) as info:
        PlatformClient(token).download(file["url"], dest, size=file["size"], sha256=file["sha256"])
    assert "empreinte SHA-256" in info.value.message_fr
    assert not dest.exists() and not part_path(dest).exists()  # next attempt starts clean
    PlatformClient(token).download(file["url"], dest, size=file["size"], sha256=file["sha256"])
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == file["sha256"]


def test_transient_errors_are_retried_then_reported(demo: DemoPlatform, tmp_path: Path) -> None:
    file, token = a_file(demo, 4)
    demo.faults.update({"fail_status": 503, "fail_count": 2})
    PlatformClient(token, backoff=0.01).download(file["url"], tmp_path / "ok", size=file["size"], sha256=file["sha256"])
    demo.faults.update({"fail_status": 503, "fail_count": 50})
    with pytest.raises(TransferError) as info:
        PlatformClient(token, backoff=0.01, retries=3).download(
            file["url"], tmp_path / "ko", size=file["size"], sha256=file["sha256"]
        )
    assert "après 4 tentatives" in info.value.message_fr
    assert not (tmp_path / "ko").exists()


def test_refused_token_is_a_clear_error_without_the_token(
    demo: DemoPlatform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file, _token = a_file(demo, 5)
    bad = "forged.0123456789abcdef"
    caplog.set_level(logging.DEBUG)
    client = PlatformClient(bad)
    with pytest.raises(PlatformError) as info:
        client.download(file["url"], tmp_path / "f", size=file["size"], sha256=file["sha256"])
    assert info.value.code == "platform_forbidden"
    assert "jeton" in info.value.message_fr
    assert bad not in str(info.value) and bad not in repr(client) and bad not in caplog.text


def test_cancel_stops_mid_file_and_leaves_no_final_file(demo: DemoPlatform, tmp_path: Path) -> None:
    file, token = a_file(demo, 0)
    demo.faults.update({"rate": 200_000})
    cancel = CancelToken()
    timer = threading.Timer(0.3, cancel.cancel)
    timer.start()
    with pytest.raises(CancelledError):
        PlatformClient(token).download(
            file["url"], tmp_path / "f", size=file["size"], sha256=file["sha256"], cancel=cancel
        )
    assert not (tmp_path / "f").exists()
    assert 0 < part_path(tmp_path / "f").stat().st_size < file["size"]  # kept for a later resume


def test_upload_reaches_the_platform_byte_for_byte(demo: DemoPlatform, tmp_path: Path) -> None:
    _file, token = a_file(demo)
    payload = bytes(range(256)) * 1000
    source = tmp_path / "clair.zip"
    source.write_bytes(payload)
    answer = PlatformClient(token).upload(f"{demo.url}/uploads/test/clair.zip", source)
    assert answer == {"received": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    assert (demo.data_dir / "uploads" / "test" / "clair.zip").read_bytes() == payload


def test_large_file_over_ranges_resumes_after_cuts_and_cancel(demo: DemoPlatform, tmp_path: Path) -> None:
    """Several connections each fetch a range; cuts and a cancel lose nothing already written."""
    file, token = a_file(demo, 1)
    rel = file["url"].split("/files/", 1)[1]
    dest = tmp_path / "big"

    def client() -> PlatformClient:
        return PlatformClient(
            token, backoff=0.01, range_connections=3, range_threshold=100_000, ranges_on_loopback=True
        )

    demo.faults.update({"rate": 300_000})
    cancel = CancelToken()
    threading.Timer(0.25, cancel.cancel).start()
    with pytest.raises(CancelledError):
        client().download(file["url"], dest, size=file["size"], sha256=file["sha256"], cancel=cancel)
    assert not dest.exists() and (tmp_path / "big.part.ranges").exists()
    demo.faults.__init__()  # type: ignore[misc]
    time.sleep(1.0)  # the server finishes writing what was in flight when the client cancelled
    demo.stats.reset()
    demo.faults.update({"drop_after": 30_000, "drop_count": 2})
    stats = client().download(file["url"], dest, size=file["size"], sha256=file["sha256"])
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == file["sha256"]
    assert not (tmp_path / "big.part.ranges").exists() and not part_path(dest).exists()
    assert 0 < stats.resumed_from < file["size"]
    assert (
        served_when_settled(demo, rel, file["size"] - stats.resumed_from) == file["size"] - stats.resumed_from
    )  # nothing fetched twice
    assert len(demo.stats.to_dict()["ranges"][rel]) >= 3  # each range resumed on its own connection
