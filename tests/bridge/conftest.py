"""Fixtures of the bridge tests: a real job engine behind a real bridge on ephemeral loopback ports."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from assistant.bridge.guards import Rate
from assistant.bridge.server import BridgeServer
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.settings import Settings
from tests.bridge.helpers import connect


class AnsweringInteraction(HeadlessInteraction):
    """The headless operator, plus the user's answers to "may this platform use the assistant?"
    given in advance (`answers`), and a record of every question asked."""

    def __init__(self, answers: dict[str, bool] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.answers = answers or {}
        self.asked: list[str] = []
        #: The code shown with the last question about each origin (what the user reads).
        self.codes: dict[str, str] = {}
        self.asked_event = threading.Event()

    def approve_origin(self, origin: str, code: str = "") -> bool:
        self.asked.append(origin)
        if code:
            self.codes[origin] = code
        self.asked_event.set()
        return self.answers.get(origin, False)


@dataclass
class Running:
    engine: JobEngine
    bridge: BridgeServer
    interaction: AnsweringInteraction
    settings: Settings
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def start_bridge(softhsm_token: Any) -> Iterator[Callable[..., Running]]:
    """Depends on the SoftHSM2 token so that SOFTHSM2_CONF is set before any job or the workstation
    test loads PKCS#11 modules: a module reads its configuration once per process."""
    started: list[Running] = []

    def start(
        *,
        approved: tuple[str, ...] = (),
        answers: dict[str, bool] | None = None,
        rates: dict[str, Rate] | None = None,
        key_spec: str | None = None,
        pin_env: str | None = None,
        loopback_http: bool = True,
        pkcs11_modules: tuple[str, ...] = (),
        **options: Any,
    ) -> Running:
        settings = Settings(pkcs11_modules=list(pkcs11_modules))
        # The user says yes to the platforms the test approved (when one of their pages connects).
        answers = {**{origin: True for origin in approved}, **(answers or {})}
        interaction = AnsweringInteraction(answers, key_spec=key_spec, pin_env=pin_env, settings=settings)
        engine = JobEngine(interaction=interaction, settings=settings, loopback_http=loopback_http)
        bridge = BridgeServer(engine, settings, interaction, rates=rates, **options)
        bridge.start()
        for origin in approved:
            bridge.registry.approve(origin, persist=False)
            connect(bridge, origin)
        running = Running(engine, bridge, interaction, settings)
        started.append(running)
        return running

    yield start
    for running in started:
        running.bridge.stop()
        running.engine.shutdown(wait=False)


@pytest.fixture(scope="session")
def demo_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The jobs engineer's demo platform (real HTTP server, plis made by openssl), small content."""
    from assistant.demo.content import ContentSpec
    from assistant.demo.server import DemoPlatform

    platform = DemoPlatform(
        port=0,
        data_dir=tmp_path_factory.mktemp("demo-platform"),
        spec=ContentSpec(consultations=1, plis=2, envelopes=2, file_size=256 * 1024),
        test_hooks=True,
        seed_credentials=False,  # the tests name their key; nothing goes into a vault
    ).start()
    yield platform
    platform.stop()


def fetch_descriptor(platform: Any, kind: str, query: str = "") -> dict[str, Any]:
    """A descriptor as the platform's page gets it (with its bearer token)."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"{platform.url}/api/descriptors/{kind}{query}", timeout=20) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


@pytest.fixture
def slow_platform(demo_platform: Any) -> Iterator[Callable[[int], None]]:
    """Throttle the demo platform's file bodies (bytes per second) for one test."""

    def throttle(rate: int) -> None:
        demo_platform.faults.update({"rate": rate})

    yield throttle
    demo_platform.faults.update({"rate": 0})
