"""Hostile input over the whole API, generated from the OpenAPI document (schemathesis) and raw
bytes (hypothesis): never a 5xx, every answer as the document says (status, content type, schema,
headers), never a job from a malformed request or a request without the page's access key."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import ignored_auth, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assistant.bridge.api import openapi_document
from assistant.bridge.guards import Rate
from tests.bridge.conftest import Running
from tests.bridge.helpers import call

PAGE = "https://marches.example.fr"
RELAXED = {kind: Rate(per_second=10_000, burst=10_000) for kind in ("read", "submit", "diagnostics", "refused")}
DOCUMENT = json.loads(openapi_document())
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
DESCRIPTOR_SCHEMA = DOCUMENT["components"]["schemas"]["JobDescriptor"]
OPERATIONS = [(path, method.upper()) for path, item in DOCUMENT["paths"].items() for method in item]
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,  # replays a request that succeeded without its Authorization: it must be refused
]
FUZZ = settings(
    max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
FUZZ_SLOW = settings(FUZZ, max_examples=8)


@pytest.fixture(scope="module")
def bridge_for_fuzz(tmp_path_factory: pytest.TempPathFactory, softhsm_token: Any) -> Iterator[Running]:
    """One bridge for the whole module (hypothesis runs many examples per test)."""
    import os

    from assistant.bridge.server import BridgeServer
    from assistant.jobs.engine import JobEngine
    from assistant.settings import Settings
    from tests.bridge.conftest import AnsweringInteraction

    previous = os.environ.get("ASSISTANT_HOME")
    os.environ["ASSISTANT_HOME"] = str(tmp_path_factory.mktemp("fuzz-home"))
    settings_ = Settings()
    interaction = AnsweringInteraction(settings=settings_)
    engine = JobEngine(interaction=interaction, settings=settings_, loopback_http=True)
    bridge = BridgeServer(engine, settings_, interaction, rates=RELAXED)
    bridge.start()
    bridge.registry.approve(PAGE, persist=False)
    running = Running(engine, bridge, interaction, settings_)
    running.extra["key"] = bridge.api.access.issue(PAGE)
    yield running
    bridge.stop()
    engine.shutdown(wait=False)
    if previous is None:
        os.environ.pop("ASSISTANT_HOME", None)
    else:
        os.environ["ASSISTANT_HOME"] = previous


def _descriptor_is_valid(body: Any) -> bool:
    # jsonschema-rs comes with schemathesis: the same validator that generated the data judges it.
    return bool(jsonschema_rs.is_valid(DESCRIPTOR_SCHEMA, body))


def _check(run: Running, case: Any, headers: dict[str, str] | None) -> None:
    assert run.bridge.identity is not None
    before = len(run.engine.jobs())
    response = case.call(base_url=run.bridge.url, headers=headers, verify=str(run.bridge.identity.ca_path), timeout=30)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    # No spec mismatch: status documented for the operation, content type, body schema, headers.
    case.validate_response(response, checks=CONFORMANCE, transport_kwargs={"verify": str(run.bridge.identity.ca_path)})
    if response.headers.get("Content-Type", "").startswith("application/json"):
        data = response.json()
        if response.status_code >= 400:
            assert set(data) >= {"code", "message", "message_en"}
    assert response.headers.get("Access-Control-Allow-Origin") in (None, PAGE)
    created = len(run.engine.jobs()) - before
    if case.method.upper() == "POST" and case.path == "/v1/jobs":
        if created:
            assert response.status_code == 202
            assert _descriptor_is_valid(case.body), case.body  # only well-formed requests make jobs
            sent = {**(case.headers or {}), **(headers or {})}
            assert sent.get("Origin") == PAGE
            assert sent.get("Authorization") == f"Bearer {run.extra['key']}"  # and only with the key
    else:
        assert created == 0


def _make_test(path: str, method: str, mode: GenerationMode, force_origin: bool) -> Callable[[Running], None]:
    operation = SCHEMA[path][method]

    # The workstation test takes about half a second a run and has no input but its headers: fewer examples.
    chosen = FUZZ_SLOW if path == "/v1/diagnostics" else FUZZ

    @chosen
    @given(case=operation.as_strategy(generation_mode=mode))
    def run_case(run: Running, case: Any) -> None:
        _check(run, case, {"Origin": PAGE, "Authorization": f"Bearer {run.extra['key']}"} if force_origin else None)

    def test(bridge_for_fuzz: Running) -> None:
        run_case(bridge_for_fuzz)

    return test


def _combinations() -> list[Any]:
    combos = []
    for path, method in OPERATIONS:
        spec = DOCUMENT["paths"][path][method.lower()]
        has_input = bool(spec.get("parameters") or spec.get("requestBody"))
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not has_input:
                continue  # nothing to make invalid (GET /v1/status)
            for force_origin in (True, False):
                ident = f"{method} {path}-{mode.value}-{'approved-origin-with-key' if force_origin else 'generated'}"
                combos.append(pytest.param(path, method, mode, force_origin, id=ident))
    return combos


@pytest.mark.parametrize(("path", "method", "mode", "force_origin"), _combinations())
def test_schema_driven_fuzzing(
    bridge_for_fuzz: Running, path: str, method: str, mode: GenerationMode, force_origin: bool
) -> None:
    _make_test(path, method, mode, force_origin)(bridge_for_fuzz)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "OPTIONS", "PUT", "DELETE", "HEAD", "BREW", "get", ""]),
    path=st.text(min_size=0, max_size=80).map(lambda s: "/v1/" + s),
    headers=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "Origin",
                    "Content-Type",
                    "Content-Length",
                    "Host",
                    "Transfer-Encoding",
                    "X-A",
                    "Access-Control-Request-Private-Network",
                ]
            ),
            st.text(max_size=40),
        ),
        max_size=6,
    ),
    body=st.binary(max_size=300),
)
def _raw_case(run: Running, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> None:
    port = run.bridge.http_port
    assert port is not None
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogatepass") + body
    before = len(run.engine.jobs())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    if answer:
        status = answer.split(b" ", 2)[1]
        assert not status.startswith(b"5"), answer[:300]
    assert len(run.engine.jobs()) == before


def test_raw_bytes_fuzzing(bridge_for_fuzz: Running) -> None:
    threads_before = threading.active_count()
    _raw_case(bridge_for_fuzz)
    # The server is still up and answers normally, and no connection thread was left behind.
    assert call(bridge_for_fuzz.bridge, "GET", "/v1/status").status == 200
    assert threading.active_count() <= threads_before + 2
