"""The demo platform each platform-client test module talks to (in this process, real HTTP on loopback).

A module says how much content it needs with `DEMO_SPEC` (a ContentSpec); faults and byte
counts are reset before each test so that tests do not see each other's cuts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.demo.server import DemoPlatform
from tests.pki import require_tool


@pytest.fixture(scope="module")
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPlatform]:
    require_tool("openssl")
    platform = DemoPlatform(
        data_dir=tmp_path_factory.mktemp("demo"), spec=request.module.DEMO_SPEC, test_hooks=True, seed_credentials=False
    ).start()
    yield platform
    platform.stop()


@pytest.fixture(autouse=True)
def clean_faults(demo: DemoPlatform) -> None:
    demo.faults.__init__()  # type: ignore[misc]
    demo.stats.reset()
