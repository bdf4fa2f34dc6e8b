"""Decrypting many envelopes in a row holds the memory of one.

A folder of 10,000 envelopes used to take ~200 MB (the online opening ~390 MB): a recursive
closure in the content pump formed a reference cycle that kept the reader's, the stage's and the
sink's buffers of every envelope alive until the cyclic garbage collector happened to run. These
tests run with that collector off, so any such cycle shows as growth.
"""

from __future__ import annotations

import gc
import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.envelopes import cms_stream
from assistant.envelopes.cms_stream import CHUNK, MIN_CHUNK, chunk_for, decrypt_stream
from assistant.envelopes.decrypt import decrypt_envelope
from assistant.keystores.base import Credential
from tests.envelopes.conftest import Recipients
from tests.envelopes.helpers import openssl_encrypt, sample_data


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_envelope_after_envelope_leaves_nothing_behind(
    recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path, no_cyclic_gc: None
) -> None:
    data = sample_data(200_000)
    (tmp_path / "plain").write_bytes(data)
    envelopes = [
        openssl_encrypt(tmp_path / "plain", tmp_path / f"env-{stream}.p7m", recipients.certs(1), stream=stream)
        for stream in (False, True)
    ]
    tracemalloc.start()
    try:
        for n in range(2):  # first calls fill caches (imports, the key's handle)
            decrypt_envelope(envelopes[n % 2], p12_credentials, tmp_path / f"warm{n}")
        before = tracemalloc.get_traced_memory()[0]
        for n in range(24):
            out = tmp_path / f"out{n}"
            decrypt_envelope(envelopes[n % 2], p12_credentials, out)
            assert out.read_bytes() == data
            out.unlink()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # One envelope's buffers are 3 x 256 KiB here: 24 envelopes kept alive would be 18 MiB.
    assert grown < 1 << 20, f"{grown / 2**20:.1f} MiB still held after 24 envelopes"


def test_buffers_follow_the_envelope_size() -> None:
    assert chunk_for(0) == CHUNK  # size unknown (a stream): the largest
    assert chunk_for(30_000) == MIN_CHUNK
    assert chunk_for(300_000) == 512 << 10
    assert chunk_for(1 << 20) == 1 << 20
    assert chunk_for((1 << 20) + 1) == 2 << 20
    assert chunk_for(10 << 20) == CHUNK


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("stated", [1_000, None, 50 << 20])
def test_a_wrong_size_still_decrypts(
    stream: bool,
    stated: int | None,
    recipients: Recipients,
    p12_credentials: list[Credential],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The size only sizes the buffers: a caller's too small or too large figure changes nothing
    but the buffers, whatever the segments' layout (one primitive string or 4 KB chunks)."""
    monkeypatch.setattr(cms_stream, "CHUNK", 1 << 20)  # buffers smaller than the content
    data = sample_data(2_500_000)
    (tmp_path / "plain").write_bytes(data)
    env = openssl_encrypt(tmp_path / "plain", tmp_path / "env.p7m", recipients.certs(1), stream=stream)
    size = env.stat().st_size if stated is None else stated
    out = io.BytesIO()
    with env.open("rb") as source:
        result = decrypt_stream(source, p12_credentials, out, total_size=size)
    assert out.getvalue() == data
    assert result.size == len(data)
