from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.demo.process import DemoProcess
from tests.pki import require_tool


@pytest.fixture
def demo_platform(tmp_path: Path, assistant_home: Path) -> Iterator[DemoProcess]:
    """3 consultations x 5 plis x 3 envelopes, encrypted by OpenSSL, served by a separate process."""
    require_tool("openssl")
    process = DemoProcess(assistant_home, tmp_path / "demo-data", "--file-size", str(160 * 1024)).start()
    yield process
    process.kill()
