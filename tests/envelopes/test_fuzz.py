"""Mutated envelopes: whatever the damage, a French error or the right bytes, and nothing left behind.

Hypothesis flips, truncates, inserts and deletes bytes in real OpenSSL envelopes (definite and
streamed, CBC and GCM, DER and PEM). The decryptor must never crash with anything but an
AssistantError, never leave a file or a temporary file, and, for GCM (which authenticates the
content), never return bytes other than the original.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.envelopes.decrypt import decrypt_envelope
from assistant.errors import AssistantError
from assistant.keystores.base import Credential
from tests.envelopes.conftest import Recipients
from tests.envelopes.helpers import make_zip, openssl_encrypt, sample_data

VARIANTS = [
    ("aes-256-cbc", False, "DER"),
    ("aes-256-cbc", True, "DER"),
    ("aes-128-gcm", False, "DER"),
    ("aes-256-gcm", True, "DER"),
    ("aes-192-cbc", True, "PEM"),
]


@pytest.fixture(scope="module")
def envelopes(recipients: Recipients, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[bytes]]:
    folder = tmp_path_factory.mktemp("fuzz")
    data = make_zip({"offre.pdf": sample_data(9000), "annexe.txt": b"prix " * 300})
    (folder / "bid.zip").write_bytes(data)
    made = []
    for index, (cipher, stream, form) in enumerate(VARIANTS):
        env = openssl_encrypt(
            folder / "bid.zip",
            folder / f"env{index}",
            recipients.certs(2),
            cipher=cipher,
            stream=stream,
            form=form,
            padding="oaep-sha256" if index % 2 else "pkcs1",
        )
        made.append(env.read_bytes())
    return data, made


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 8)),
)


def mutate(blob: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(blob)
    for kind, where, value in mutations:
        if not data:
            break
        at = where % len(data)
        if kind == "flip":
            data[at] ^= value
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data.insert(at, value)
        else:
            del data[at : at + value]
    return bytes(data)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(variant=st.integers(0, len(VARIANTS) - 1), mutations=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_envelopes(
    variant: int,
    mutations: list[tuple[str, int, int]],
    envelopes: tuple[bytes, list[bytes]],
    p12_credentials: list[Credential],
    tmp_path: Path,
) -> None:
    original, made = envelopes
    work = tmp_path / "fuzz-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    blob = mutate(made[variant], mutations)
    env = work / "env.p7m"
    env.write_bytes(blob)
    out = work / "out.zip"
    try:
        decrypt_envelope(env, p12_credentials, out)
    except AssistantError as exc:
        assert exc.message_fr and exc.code
        assert sorted(p.name for p in work.iterdir()) == ["env.p7m"]
    else:
        if "gcm" in VARIANTS[variant][0]:
            assert out.read_bytes() == original
        assert sorted(p.name for p in work.iterdir()) == ["env.p7m", "out.zip"]
    assert env.read_bytes() == blob
