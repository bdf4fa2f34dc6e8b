"""The upload estimate against the demo platform behind the network-profile proxy (upload capped
as on an office line): a short measured upload predicts the real upload of the same signed bid
within 20 %; the deadline gives the latest start time and the thin-margin warning."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.keystores.base import Credential
from assistant.platform.client import PlatformClient
from assistant.prepare.checks import deposit_size, deposited_files
from assistant.prepare.deposit import default_destination, sign_bid
from assistant.prepare.estimate import UploadMeasure, Verdict, estimate_upload, measure_upload
from assistant.prepare.plan import make_plan
from assistant.prepare.rules import load_rules
from assistant.prepare.scan import scan_bid
from bench.netprofile import NetProfileProxy, Profile, mbit
from tests.demo.process import DemoProcess
from tests.pki import require_tool
from tests.prepare.conftest import Bid

#: An office line: 20 ms away, 12 Mbit/s up (1.5 MB/s), 50 down.
OFFICE = Profile("office", 0.020, mbit(50), mbit(12), up_per_connection=mbit(12), description="test office line")


@pytest.fixture
def throttled_platform(tmp_path: Path, assistant_home: Path) -> Iterator[tuple[DemoProcess, str]]:
    require_tool("openssl")
    demo = DemoProcess(assistant_home, tmp_path / "demo-data", "--file-size", "4096").start()
    proxy = NetProfileProxy(OFFICE, ("127.0.0.1", demo.port)).start()
    try:
        yield demo, proxy.rewrite(demo.url)
    finally:
        proxy.stop()
        demo.kill()


def test_estimate_within_20_percent_of_the_real_upload(
    bid: Bid, throttled_platform: tuple[DemoProcess, str], p12_credential: Credential
) -> None:
    demo, url = throttled_platform
    # Heavier documents, as real bids have (random bytes: nothing compresses on the way).
    (bid.root / "Lot 1/Offre/Annexe photos.xlsx").write_bytes(os.urandom(4 << 20))
    (bid.root / "Lot 2/Offre/Plans.dwg").write_bytes(os.urandom(3 << 20))
    # The platform's published rules, fetched through the link: its upload test is on the same origin.
    rules = load_rules(url + "/api/deposit-rules", None)
    assert rules.upload_test_url == url + "/api/upload-test" and rules.deadline is not None
    plan = make_plan(scan_bid(bid.root), rules)

    started = time.monotonic()
    measure = measure_upload(rules.upload_test_url or "")  # the defaults a user gets
    measuring = time.monotonic() - started
    estimate = estimate_upload(deposit_size(plan), deposited_files(plan), measure, deadline=rules.deadline)
    assert estimate.verdict is Verdict.OK and estimate.latest_start is not None  # two hours ahead: time enough
    assert measuring < 12, (
        measuring
    )  # a short test (measure_upload stops starting samples after 10 s), not a second upload

    destination = default_destination(bid.root)
    assert sign_bid(plan, p12_credential, destination).ok
    files = sorted(p for p in destination.rglob("*") if p.is_file())
    assert len(files) == estimate.files
    token = demo.get("/api/descriptors/diagnose")["token"]
    client = PlatformClient(token)
    started = time.monotonic()
    for index, path in enumerate(files):
        client.upload(f"{url}/uploads/depot/{index}", path)
    uploaded = time.monotonic() - started
    client.close()
    stats = demo.stats()
    assert sum(v["size"] for k, v in stats["uploads"].items() if k.startswith("depot/")) == sum(
        p.stat().st_size for p in files
    )

    error = abs(estimate.seconds - uploaded) / uploaded
    print(
        f"\nestimate {estimate.seconds:.2f} s, real upload {uploaded:.2f} s ({error:.1%}), "
        f"measured {measure.rate * 8 / 1e6:.1f} Mbit/s over {measure.sent} bytes in {measuring:.1f} s; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    assert error < 0.20, (estimate.seconds, uploaded)


def test_deadline_margin_and_latest_start() -> None:
    measure = UploadMeasure(sent=1_000_000, seconds=1.0, request_seconds=0.05)  # 8 Mbit/s
    now = dt.datetime(2026, 12, 4, 11, 0, tzinfo=dt.UTC)
    total = 1_800_000_000  # 1.8 GB: 30 minutes at 1 MB/s
    deadline = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    thin = estimate_upload(total, 10, measure, deadline=deadline, now=now)
    assert thin.verdict is Verdict.THIN
    # 30 min x 1.5 + 15 min before noon: 11:00 at the latest (plus the 10 files' half second)
    assert thin.latest_start is not None and thin.latest_start <= dt.datetime(2026, 12, 4, 11, 0, tzinfo=dt.UTC)
    assert "La marge est trop mince" in thin.message_fr and "Commencez l'envoi immédiatement" in thin.message_fr
    early = estimate_upload(total, 10, measure, deadline=deadline, now=now - dt.timedelta(hours=1))
    assert early.verdict is Verdict.OK and "au plus tard le" in early.message_fr
    late = estimate_upload(total, 10, measure, deadline=deadline, now=now + dt.timedelta(minutes=40))
    assert late.verdict is Verdict.TOO_LATE and "après la date limite" in late.message_fr
