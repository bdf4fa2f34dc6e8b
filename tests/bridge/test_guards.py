"""The pure checks, case by case."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.bridge.guards import (
    BridgeError,
    Rate,
    RateLimiter,
    host_allowed,
    normalize_origin,
    parse_json_object,
    preflight_headers,
)
from assistant.bridge.origins import ConsentPrompter, OriginRegistry, site_of


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1:17443", True),
        ("[::1]:17443", True),
        ("localhost:17443", True),
        ("LOCALHOST:17443", True),
        ("127.0.0.1", False),
        ("127.0.0.1:17444", False),
        ("evil.example:17443", False),
        ("localhost.:17443", False),
        ("127.1:17443", False),
        ("0x7f000001:17443", False),
        ("[::ffff:127.0.0.1]:17443", False),
        (None, False),
        ("127.0.0.1:17443\r\nX: y", False),
    ],
)
def test_host(host: str | None, ok: bool) -> None:
    assert host_allowed(host, 17443) is ok


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://marches.example.fr", "https://marches.example.fr"),
        ("https://Marches.Example.fr:443/", "https://marches.example.fr"),
        ("https://marches.example.fr:8443", "https://marches.example.fr:8443"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost", "http://localhost"),
        ("http://marches.example.fr", None),
        ("null", None),
        ("", None),
        ("file:///etc", None),
        ("https://user:pw@marches.example.fr", None),
        ("https://marches.example.fr/x", None),
        ("https://marches.example.fr?x=1", None),
        ("https://marchés.example.fr", None),
        ("https://:443", None),
        ("https://a b.fr", None),
        ("https://marches.example.fr:99999", None),
    ],
)
def test_normalize_origin(raw: str, expected: str | None) -> None:
    assert normalize_origin(raw) == expected


def test_rate_limiter_refills() -> None:
    now = [0.0]
    limiter = RateLimiter({"read": Rate(per_second=1, burst=2)}, clock=lambda: now[0])
    assert limiter.retry_after("o", "read") == 0
    assert limiter.retry_after("o", "read") == 0
    assert limiter.retry_after("o", "read") == pytest.approx(1.0)
    assert limiter.retry_after("other", "read") == 0
    now[0] = 1.0
    assert limiter.retry_after("o", "read") == 0
    with pytest.raises(BridgeError) as excinfo:
        limiter.check("o", "read")
    assert excinfo.value.status == 429 and excinfo.value.headers["Retry-After"] == "1"
    assert limiter.retry_after("o", "unlimited-kind") == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b"[]",
        b"1",
        b'"x"',
        b'{"a": 1, "a": 2}',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b"\xef\xbb\xbf{}",
        b"{'a': 1}",
        b'{"a": 1} {}',
        b"\xc3\x28",
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 13 + b"1" + b"}" * 13,
    ],
)
def test_bad_json_is_refused(raw: bytes) -> None:
    with pytest.raises(BridgeError) as excinfo:
        parse_json_object(raw)
    assert excinfo.value.status == 400 and excinfo.value.code == "invalid_json"


def test_good_json() -> None:
    assert parse_json_object(b'{"a": [1, {"b": null}], "c": "\\u00e9"}') == {"a": [1, {"b": None}], "c": "é"}


def test_preflight_never_wildcards() -> None:
    headers = preflight_headers("https://a.fr", {"access-control-request-private-network": "TRUE"})
    assert headers["Access-Control-Allow-Origin"] == "https://a.fr"
    assert headers["Access-Control-Allow-Private-Network"] == "true"
    assert "*" not in "".join(headers.values())


def test_consent_one_question_at_a_time_and_refusals_stick(tmp_path) -> None:
    import threading

    from assistant.settings import Settings

    registry = OriginRegistry(settings_path=tmp_path / "settings.json")
    gate = threading.Event()
    asked: list[str] = []

    def ask(origin: str) -> bool:
        asked.append(origin)
        gate.wait(5)
        return origin.endswith("ok.fr")

    prompter = ConsentPrompter(registry, ask)
    assert prompter.request("https://ok.fr")
    assert not prompter.request("https://b.fr")  # a question is open
    gate.set()
    prompter.wait_idle()
    assert registry.is_approved("https://ok.fr")
    assert Settings.load(tmp_path / "settings.json").approved_origins == ["https://ok.fr"]
    assert prompter.request("https://ok.fr")  # approved: a page from another browser may connect too
    prompter.wait_idle()
    assert prompter.request("https://c.fr")
    prompter.wait_idle()
    assert prompter.request("https://d.fr")
    prompter.wait_idle()
    assert not prompter.request("https://c.fr") and prompter.why_not("https://c.fr") == "refused"
    assert asked == ["https://ok.fr", "https://ok.fr", "https://c.fr", "https://d.fr"]
    assert not registry.is_approved("https://c.fr")
    registry.approve("http://127.0.0.1:9000", persist=False)
    assert registry.is_approved("http://127.0.0.1:9000")
    assert Settings.load(tmp_path / "settings.json").approved_origins == ["https://ok.fr"]


def test_question_budget_per_site(tmp_path: Path) -> None:
    """Repeated questions from one site are answered "no" without asking; a new site is still asked,
    however many questions other sites tried to cause; the budget comes back after an hour."""
    registry = OriginRegistry(settings_path=tmp_path / "settings.json")
    asked: list[str] = []
    now = [1000.0]

    def ask(origin: str) -> bool:
        asked.append(origin)
        return False

    prompter = ConsentPrompter(registry, ask, clock=lambda: now[0])

    def request(origin: str) -> bool:
        started = prompter.request(origin)
        prompter.wait_idle()
        return started

    assert request("https://evil.example")
    assert [request("https://evil.example") for _ in range(5)] == [False] * 5  # refused once: no again
    # Sub-domains, other ports, other schemes of the same site share its budget (2 an hour).
    tried = [request(f"https://a{i}.evil.example") for i in range(10)] + [request("https://x.evil.example:8443")]
    assert tried.count(True) == 1
    # Twenty other hostile sites each get their own small budget, and do not use up anyone else's.
    for i in range(20):
        request(f"https://spam{i}.example")
    assert request("https://marches.example.fr")
    assert asked[-1] == "https://marches.example.fr"
    assert sum(o.endswith("evil.example") or o.endswith("evil.example:8443") for o in asked) == 2
    # Public suffixes of two labels: two platforms under gouv.fr are two sites.
    assert request("https://marches-publics.gouv.fr") and request("https://projets.achats.gouv.fr")
    assert site_of("https://www.marches-publics.gouv.fr") == "marches-publics.gouv.fr"
    assert site_of("http://127.0.0.1:9000") == "127.0.0.1" and site_of("http://[::1]:9000") == "::1"
    now[0] += 3601
    assert request("https://b1.evil.example")  # an hour later, one more question
