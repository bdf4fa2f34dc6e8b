"""The API over real sockets: checks in order, CORS, bodies, job isolation, SSE, secrets."""

from __future__ import annotations

import json
import os
import socket
import ssl
import time
from pathlib import Path

import pytest

from assistant.bridge.guards import MAX_BODY_BYTES, Rate
from tests.bridge.conftest import fetch_descriptor
from tests.bridge.helpers import KEYS, ROOT, call

PAGE = "https://marches.example.fr"
OTHER = "https://autre-plateforme.example"


def _json_headers(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Content-Type": "application/json"}


def test_status_needs_no_origin_and_says_who_we_are(start_bridge) -> None:
    run = start_bridge()
    for tls in (True, False):
        reply = call(run.bridge, "GET", "/v1/status", tls=tls)
        assert reply.status == 200
        body = reply.json()
        assert body["name"] == "Assistant Marchés Publics"
        assert body["protocol_version"] == 1
        assert body["state"] == "ready"
        assert "sign" in body["capabilities"]
        assert reply.header("Access-Control-Allow-Origin") is None


def test_rebinding_host_is_refused_before_anything(start_bridge) -> None:
    run = start_bridge(approved=(PAGE,))
    port = run.bridge.https_port
    for host in (
        f"evil.example:{port}",
        "127.0.0.1",
        f"127.0.0.1:{port + 1}",
        f"localhost.:{port}",
        "",
        f"127.0.0.2:{port}",
    ):
        reply = call(run.bridge, "GET", "/v1/status", host=host)
        assert reply.status == 421, host
        assert reply.json()["code"] == "host_refused"
        assert "refusée" in reply.json()["message"]
    # Even an approved origin gets nothing through a rebinding name, and no job is made.
    body = json.dumps({"version": 1, "type": "diagnose", "params": {}}).encode()
    reply = call(run.bridge, "POST", "/v1/jobs", body=body, headers=_json_headers(PAGE), host=f"evil.example:{port}")
    assert reply.status == 421
    assert reply.header("Access-Control-Allow-Origin") is None
    assert run.engine.jobs() == []
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert call(run.bridge, "GET", "/v1/status", host=host).status == 200


def test_ipv6_listener_applies_the_same_checks(start_bridge) -> None:
    run = start_bridge()
    assert any(u.startswith("https://[::1]:") for u in run.bridge.urls)
    assert run.bridge.identity is not None
    context = ssl.create_default_context(cafile=str(run.bridge.identity.ca_path))
    raw = socket.create_connection(("::1", run.bridge.https_port), timeout=10)
    with context.wrap_socket(raw, server_hostname="::1") as tls_sock:
        tls_sock.sendall(f"GET /v1/status HTTP/1.1\r\nHost: evil.example:{run.bridge.https_port}\r\n\r\n".encode())
        assert tls_sock.recv(100).startswith(b"HTTP/1.1 421")


def test_listens_on_loopback_only(start_bridge) -> None:
    run = start_bridge()
    for listener_url in run.bridge.urls:
        assert listener_url.split("//", 1)[1].rsplit(":", 1)[0] in ("127.0.0.1", "[::1]")
    from assistant.bridge.server import BridgeServer, BridgeStartError

    with pytest.raises(BridgeStartError) as excinfo:
        BridgeServer(run.engine, run.settings, run.interaction, host="0.0.0.0")  # noqa: S104 - must be refused
    assert "bouclage" in excinfo.value.message_fr


def test_origin_is_required_everywhere_but_status(start_bridge) -> None:
    run = start_bridge()
    for method, path in [
        ("GET", "/v1/jobs"),
        ("GET", "/v1/openapi.json"),
        ("GET", "/v1/diagnostics"),
        ("GET", "/v1/jobs/abc"),
        ("GET", "/v1/jobs/abc/events"),
        ("POST", "/v1/jobs/abc/cancel"),
        ("GET", "/nowhere"),
        ("OPTIONS", "/v1/jobs"),
    ]:
        reply = call(run.bridge, method, path)
        assert reply.status == 403, path
        assert reply.json()["code"] == "origin_required"
    for bad in ("null", "https://marches.example.fr/chemin", "file://", "http://marches.example.fr"):
        reply = call(run.bridge, "GET", "/v1/jobs", headers={"Origin": bad})
        assert reply.status == 403
        assert reply.json()["code"] == "origin_refused"


def test_unknown_origin_is_refused_without_any_work_or_question(start_bridge, demo_platform) -> None:
    run = start_bridge(answers={OTHER: False})
    descriptor = json.dumps(fetch_descriptor(demo_platform, "download")).encode()
    for _ in range(3):
        reply = call(run.bridge, "POST", "/v1/jobs", body=descriptor, headers=_json_headers(OTHER))
        assert reply.status == 403
        assert reply.json()["code"] == "origin_not_approved"
        assert "connectez cette page" in reply.json()["message"]
        assert reply.header("Access-Control-Allow-Origin") is None
        preflight = call(
            run.bridge,
            "OPTIONS",
            "/v1/jobs",
            headers={
                "Origin": OTHER,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Private-Network": "true",
            },
        )
        assert preflight.status == 403
        assert preflight.header("Access-Control-Allow-Origin") is None
        assert preflight.header("Access-Control-Allow-Private-Network") is None
    assert run.interaction.asked == []  # only a page asking to be connected makes a question
    assert run.engine.jobs() == []


def test_preflight_answers_cors_and_local_network_access(start_bridge) -> None:
    run = start_bridge(approved=(PAGE,))
    reply = call(
        run.bridge,
        "OPTIONS",
        "/v1/jobs",
        headers={
            "Origin": PAGE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
            "Access-Control-Request-Private-Network": "true",
            "Access-Control-Request-Local-Network": "true",
        },
    )
    assert reply.status == 204
    assert reply.header("Access-Control-Allow-Origin") == PAGE
    assert reply.header("Access-Control-Allow-Private-Network") == "true"
    assert reply.header("Access-Control-Allow-Local-Network") == "true"
    assert "POST" in (reply.header("Access-Control-Allow-Methods") or "")
    assert "content-type" in (reply.header("Access-Control-Allow-Headers") or "")
    assert "Origin" in (reply.header("Vary") or "")
    plain = call(run.bridge, "OPTIONS", "/v1/jobs", headers={"Origin": PAGE, "Access-Control-Request-Method": "POST"})
    assert plain.header("Access-Control-Allow-Private-Network") is None


def test_cors_never_names_a_wildcard(start_bridge) -> None:
    run = start_bridge(approved=(PAGE,))
    for method, path in [("GET", "/v1/status"), ("GET", "/v1/jobs"), ("GET", "/v1/jobs/none"), ("OPTIONS", "/v1/jobs")]:
        reply = call(run.bridge, method, path, headers={"Origin": PAGE})
        assert reply.header("Access-Control-Allow-Origin") == PAGE
        assert reply.header("Access-Control-Allow-Credentials") is None


@pytest.mark.parametrize(
    ("body", "headers", "status", "code", "field"),
    [
        (b'{"version": 1, "type": "sign", "params": {}, "extra": 1}', {}, 400, None, "extra"),
        (b'{"version": "1", "type": "sign"}', {}, 400, None, "version"),
        (b'{"version": 1, "type": "launch-missiles"}', {}, 400, None, "type"),
        (b'{"version": 1, "type": "download", "params": {"destination": "/etc"}}', {}, 400, None, "params.destination"),
        (b'{"version": 1, "type": "version", "version": 1}', {}, 400, "invalid_json", "version"),
        (b'{"version": NaN}', {}, 400, "invalid_json", None),
        (b"[1, 2]", {}, 400, "invalid_json", None),
        (b"\xff\xfe{}", {}, 400, "invalid_json", None),
        (b'{"a":' * 40 + b"1" + b"}" * 40, {}, 400, "invalid_json", None),
        (b'{"version": 1}', {"Content-Type": "text/plain"}, 415, "unsupported_media_type", None),
        (b"{" + b" " * (MAX_BODY_BYTES + 1) + b"}", {}, 413, "body_too_large", None),
    ],
)
def test_bodies_are_strict(start_bridge, body, headers, status, code, field) -> None:
    run = start_bridge(approved=(PAGE,))
    reply = call(run.bridge, "POST", "/v1/jobs", body=body, headers={**_json_headers(PAGE), **headers})
    assert reply.status == status, reply.body
    error = reply.json()
    if code:
        assert error["code"] == code
    if field:
        assert error["field"] == field
        assert field in error["message"]
    assert error["message"] and error["message_en"]
    assert run.engine.jobs() == []


def test_a_page_cannot_name_a_url_outside_its_origin(start_bridge, demo_platform) -> None:
    run = start_bridge(approved=(PAGE,))
    descriptor = fetch_descriptor(demo_platform, "download")  # URLs on the demo, not on PAGE
    reply = call(run.bridge, "POST", "/v1/jobs", body=json.dumps(descriptor).encode(), headers=_json_headers(PAGE))
    assert reply.status == 400
    assert reply.json()["code"] == "url_not_allowed"
    assert reply.json()["field"].startswith("params.consultations[0]")
    assert descriptor["token"] not in reply.body.decode()
    assert run.engine.jobs() == []


def test_missing_length_is_refused(start_bridge) -> None:
    run = start_bridge(approved=(PAGE,))
    with socket.create_connection(("127.0.0.1", run.bridge.http_port), timeout=10) as sock:
        sock.sendall(
            f"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:{run.bridge.http_port}\r\nOrigin: {PAGE}\r\n"
            f"Authorization: Bearer {KEYS[(id(run.bridge), PAGE)]}\r\n"
            'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n0\r\n\r\n'.encode()
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 411")
    assert run.engine.jobs() == []


def test_jobs_run_are_seen_only_by_their_origin_and_tokens_never_come_back(
    start_bridge, demo_platform, slow_platform
) -> None:
    slow_platform(1_500_000)  # about a second: the stream sees the job run
    origin = demo_platform.url
    run = start_bridge(approved=(origin, PAGE))
    descriptor = fetch_descriptor(demo_platform, "download")
    token = descriptor["token"]
    reply = call(run.bridge, "POST", "/v1/jobs", body=json.dumps(descriptor).encode(), headers=_json_headers(origin))
    assert reply.status == 202
    job = reply.json()
    assert reply.header("Location") == f"/v1/jobs/{job['id']}"
    assert job["urls"] == {
        "self": f"/v1/jobs/{job['id']}",
        "events": f"/v1/jobs/{job['id']}/events",
        "cancel": f"/v1/jobs/{job['id']}/cancel",
    }
    assert token not in reply.body.decode()
    # SSE: every change until the end, then the stream closes.
    events = call(run.bridge, "GET", job["urls"]["events"], headers={"Origin": origin}, timeout=60)
    assert events.status == 200
    assert events.header(
        "Content-Type",
    ).startswith("text/event-stream")
    assert events.header("Access-Control-Allow-Origin") == origin
    text = events.body.decode()
    assert token not in text
    kinds = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("event: ")]
    assert kinds[0] == "snapshot" and kinds[-1] == "end"
    assert "progress" in kinds
    last = json.loads([line for line in text.splitlines() if line.startswith("data: ")][-1][6:])
    assert last["state"] == "succeeded", last
    percents = [json.loads(line[6:])["progress"]["percent"] for line in text.splitlines() if line.startswith("data: ")]
    assert percents[-1] == 100
    # Another approved origin sees nothing of it, not even its existence.
    for method, path in [("GET", job["urls"]["self"]), ("GET", job["urls"]["events"]), ("POST", job["urls"]["cancel"])]:
        other = call(run.bridge, method, path, headers={"Origin": PAGE})
        assert other.status == 404
        assert other.json()["code"] == "not_found"
    assert call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}).json()["jobs"] == []
    mine = call(run.bridge, "GET", "/v1/jobs", headers={"Origin": origin}).json()["jobs"]
    assert [j["id"] for j in mine] == [job["id"]]
    final = call(run.bridge, "GET", job["urls"]["self"], headers={"Origin": origin})
    assert final.json()["state"] == "succeeded"
    assert token not in final.body.decode()
    assert str(Path.home()) not in final.body.decode()


def test_cancel_from_the_page(start_bridge, demo_platform, slow_platform) -> None:
    slow_platform(50_000)  # long enough for the cancel to land while it runs
    origin = demo_platform.url
    run = start_bridge(approved=(origin,))
    descriptor = fetch_descriptor(demo_platform, "download")
    job = call(
        run.bridge, "POST", "/v1/jobs", body=json.dumps(descriptor).encode(), headers=_json_headers(origin)
    ).json()
    reply = call(run.bridge, "POST", job["urls"]["cancel"], headers={"Origin": origin})
    assert reply.status == 200
    assert "cancel_accepted" in reply.json()
    bad = call(run.bridge, "POST", job["urls"]["cancel"], body=b'{"force": true}', headers=_json_headers(origin))
    assert bad.status == 400 and bad.json()["field"] == "force"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = call(run.bridge, "GET", job["urls"]["self"], headers={"Origin": origin}).json()["state"]
        if state in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert state == "cancelled"
    assert reply.json()["cancel_accepted"] is True


def test_rate_limit_per_origin(start_bridge) -> None:
    run = start_bridge(approved=(PAGE, OTHER), rates={"read": Rate(per_second=0.01, burst=3)})
    statuses = [call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}).status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE})
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.header("Retry-After") or "0") >= 1
    assert limited.header("Access-Control-Allow-Origin") == PAGE  # the page can read why
    assert call(run.bridge, "GET", "/v1/jobs", headers={"Origin": OTHER}).status == 200
    assert call(run.bridge, "GET", "/v1/status").status == 200


def test_unknown_routes_and_methods(start_bridge) -> None:
    run = start_bridge(approved=(PAGE,))
    assert call(run.bridge, "GET", "/v2/status", headers={"Origin": PAGE}).status == 404
    assert call(run.bridge, "GET", "/v1/jobs/../../etc/passwd", headers={"Origin": PAGE}).status == 404
    reply = call(run.bridge, "DELETE", "/v1/jobs", headers={"Origin": PAGE})
    assert reply.status == 405
    assert reply.json()["code"] == "method_not_allowed"
    assert call(run.bridge, "PUT", "/v1/status").status == 403


def test_openapi_is_served_and_equals_the_docs_file(start_bridge) -> None:
    run = start_bridge(approved=(PAGE,))
    reply = call(run.bridge, "GET", "/v1/openapi.json", headers={"Origin": PAGE})
    assert reply.status == 200
    assert reply.body == (ROOT / "docs" / "bridge-openapi.json").read_bytes()
    document = reply.json()
    assert set(document["paths"]) == {
        "/v1/status",
        "/v1/access",
        "/v1/access/{claim}",
        "/v1/openapi.json",
        "/v1/jobs",
        "/v1/jobs/{id}",
        "/v1/jobs/{id}/events",
        "/v1/jobs/{id}/cancel",
        "/v1/diagnostics",
    }


def test_errors_are_json_even_for_garbage(start_bridge) -> None:
    run = start_bridge()
    with socket.create_connection(("127.0.0.1", run.bridge.http_port), timeout=10) as sock:
        sock.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 400")
    assert b'"code"' in data


def test_diagnostics_for_the_platforms_configuration_page(start_bridge, demo_platform) -> None:
    origin = demo_platform.url
    run = start_bridge(approved=(origin,))
    reply = call(run.bridge, "GET", "/v1/diagnostics", headers={"Origin": origin}, timeout=120)
    assert reply.status == 200, reply.body[:300]
    assert reply.header("Access-Control-Allow-Origin") == origin
    report = reply.json()
    assert report and isinstance(report, dict)
    text = reply.body.decode()
    assert origin.split("//", 1)[1] in text  # the platform tested is the page's own
    # No local path reaches the page: not the interpreter, not the user's folders.
    import sys

    assert sys.executable not in text and os.environ["ASSISTANT_HOME"] not in text
    assert all("details" not in check for check in report["checks"])
    # The workstation test is heavy: an origin gets a few, then 429.
    statuses = [
        call(run.bridge, "GET", "/v1/diagnostics", headers={"Origin": origin}, timeout=120).status for _ in range(3)
    ]
    assert 429 in statuses


def test_error_bodies_carry_french_and_the_catalogues_english(start_bridge) -> None:
    # What a page shows comes in both languages from the one catalogue (assistant.po).
    run = start_bridge(approved=(PAGE,))
    body = call(run.bridge, "GET", "/v2/status", headers={"Origin": PAGE}).json()
    assert body["code"] == "not_found"
    assert body["message"] == "Ressource introuvable." and body["message_en"] == "Resource not found."
    port = run.bridge.https_port
    refused = call(run.bridge, "GET", "/v1/status", host=f"evil.example:{port}").json()
    assert "refusée" in refused["message"] and "refused" in refused["message_en"]
    assert refused["message_en"] != refused["message"]
