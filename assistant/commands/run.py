"""`assistant run`: the job engine and the local bridge, with the tray window or headless.

Headless (`--headless`) is for servers, scripts and tests: no window, the operator approves one
key for the session (`--key`, its PIN read from the environment variable named by `--pin-env`,
never from the command line), origins only from the settings (or the demo platform's with
`--demo`). The first stdout line is the bridge's URL, so scripts can read it.

A second `assistant run` does not start a second bridge: it reports the running one and exits.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from assistant.bridge import ca, instance
from assistant.bridge.server import BridgeServer, BridgeStartError, candidate_ports
from assistant.errors import UsageError
from assistant.i18n import M_, _
from assistant.settings import Settings
from assistant.update.scheduler import on_started


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--headless", action="store_true", help=_("sans fenêtre : pont local et traitements seulement"))
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=_("port HTTPS du pont (par défaut celui des réglages, 17443, puis les replis)"),
    )
    parser.add_argument("--demo", action="store_true", help=_("démarrer aussi la plateforme de démonstration"))
    parser.add_argument(
        "--key",
        default=None,
        help=_("(sans fenêtre) la clé approuvée pour la session (URI pkcs11:, sha256:…, vault:…)"),
    )
    parser.add_argument(
        "--pin-env",
        default=None,
        metavar="VAR",
        help=_("(sans fenêtre) variable d'environnement contenant le code PIN"),
    )
    parser.add_argument("--no-http", action="store_true", help=_("ne pas ouvrir l'écoute HTTP simple sur 127.0.0.1"))


def _ports(args: argparse.Namespace, settings: Settings) -> tuple[int, list[int]]:
    if args.port is not None:
        if not 0 <= args.port <= 65534:
            raise UsageError(M_("Port invalide : {port}.", port=args.port))
        return args.port, []
    ports = candidate_ports(settings.bridge_port)
    return ports[0], ports[1:]


def _start_demo(settings: Settings) -> Any:
    """The demo platform (assistant.demo, jobs engineer), started on a free loopback port."""
    from assistant.demo.server import DemoPlatform

    return DemoPlatform(port=0).start()


def _refresh_trust(identity: ca.BridgeIdentity) -> None:
    """After a renewal, the browsers the user chose to trust the bridge learn the new CA."""
    from assistant.bridge import trust

    try:
        trust.after_renewal(identity)
    except Exception as exc:  # the bridge still works with --ignore-certificate-errors or HTTP
        print(_("assistant: confiance des navigateurs non mise à jour ({reason})").format(reason=exc), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    settings = Settings.load()
    lock = instance.InstanceLock()
    if not lock.acquire():
        info = instance.running_instance() or {}
        url = info.get("url", "?")
        print(_("L'assistant est déjà lancé ({url}).").format(url=url), file=sys.stderr)
        if args.headless:
            print(url)
        return 0
    try:
        return _run_locked(args, settings, lock)
    finally:
        lock.release()


def _run_locked(args: argparse.Namespace, settings: Settings, lock: instance.InstanceLock) -> int:
    from assistant.jobs.engine import JobEngine
    from assistant.jobs.interaction import HeadlessInteraction

    interaction: Any
    if args.headless:
        if args.pin_env and not args.key:
            raise UsageError(M_("--pin-env demande --key."))
        interaction = HeadlessInteraction(key_spec=args.key, pin_env=args.pin_env, settings=settings)
    else:
        from assistant.ui.app import make_interaction

        interaction = make_interaction()  # creates the QApplication: dialogs for PINs and origins

    identity, renewed = ca.ensure()
    if renewed:
        _refresh_trust(identity)

    engine = JobEngine(
        interaction=interaction,
        settings=settings,
        loopback_http=True if args.demo else None,
        background=not args.headless,  # the window's thread first
    )
    demo = None
    demo_url: str | None = None
    pollers: list[Any] = []
    port, fallbacks = _ports(args, settings)
    bridge = BridgeServer(
        engine,
        settings,
        interaction,
        port=port,
        fallback_ports=fallbacks,
        identity=identity,
        plain_http=not args.no_http,
    )
    try:
        try:
            bridge.start()
        except BridgeStartError as exc:
            if args.headless:
                raise
            # The window still works (local jobs, diagnostics); it shows the bridge as stopped.
            print(f"assistant: {exc.message}", file=sys.stderr)
            bridge_ok = False
        else:
            bridge_ok = True
        if args.demo:
            demo = _start_demo(settings)
            demo_url = str(demo.url)
            bridge.registry.approve(demo_url, persist=False)
            if isinstance(interaction, HeadlessInteraction):
                interaction.session_origins.add(demo_url)  # its page connects with the code printed on stderr
        from assistant.bridge import pairing

        pollers = pairing.start_pollers(engine)
        lock.publish(bridge.describe() | {"demo_url": demo_url})
        on_started(settings)  # keeps a just-installed update; daily update checks (assistant/update)
        if args.headless:
            return _wait_headless(bridge, demo_url)
        from assistant.ui.app import run_gui

        if demo_url:
            # A newcomer's first `make run`: say where the platform's page is, and open it.
            print(_("Plateforme de démonstration : {demo_url}").format(demo_url=demo_url), flush=True)
            print(_("Identifiants de démonstration : mot de passe du coffre « demo »."), flush=True)
            _open_in_browser(demo_url)
        return int(run_gui(engine, bridge if bridge_ok else None, settings, demo_url, interaction))
    finally:
        for poller in pollers:
            poller.stop()
        bridge.stop()
        if demo is not None:
            demo.stop()
        engine.shutdown(wait=False)


def _open_in_browser(url: str) -> None:
    """Best effort: a machine without a browser (or a test) just keeps the printed URL."""
    import contextlib
    import os
    import webbrowser

    if os.environ.get("ASSISTANT_NO_BROWSER"):
        return
    with contextlib.suppress(Exception):  # the URL is printed above
        webbrowser.open(url, new=2)


def _wait_headless(bridge: BridgeServer, demo_url: str | None) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(bridge.url, flush=True)
    for url in bridge.urls:
        if url != bridge.url:
            print(_("aussi : {url}").format(url=url), flush=True)
    if demo_url:
        print(_("démo : {demo_url}").format(demo_url=demo_url), flush=True)
    print(_("Pont local prêt. Ctrl+C pour arrêter."), file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        pass
    return 0
