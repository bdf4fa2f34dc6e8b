"""Which web origins may use the assistant, and asking the user about new ones.

Approvals are the user's decision and live in the settings file (`approved_origins`), so that
`assistant origins remove` takes effect on a running bridge: the registry re-reads the file when it
changes. Session approvals (the demo platform started by `assistant run --demo`) are kept in memory
only, never written.

An unknown origin is refused at once (403) and the user is asked in the background, one question
at a time, within a budget per site: an origin is asked once per session (after a "no", its
requests are answered "no" without asking), and one site (the registrable domain: every
`*.evil.example`) gets at most `QUESTIONS_PER_SITE_PER_HOUR` questions an hour, so a hostile site
cycling through sub-domains cannot drown the user in prompts — while a new site is still asked:
there is no global cap that a few hostile sites could use up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from assistant import paths
from assistant.bridge.guards import normalize_origin
from assistant.settings import SETTINGS_FILE, Settings

log = logging.getLogger(__name__)

#: Approval questions one site (registrable domain) may cause per hour.
QUESTIONS_PER_SITE_PER_HOUR = 2
#: Public suffixes of more than one label common where the assistant is used; any other host's
#: site is its last two labels (a cautious approximation of the Public Suffix List: a wrong guess
#: only merges two sites' budgets, it never lets one site ask more).
_MULTI_LABEL_SUFFIXES = frozenset(
    {
        "gouv.fr",
        "asso.fr",
        "nom.fr",
        "com.fr",
        "presse.fr",
        "tm.fr",
        "co.uk",
        "org.uk",
        "gov.uk",
        "ac.uk",
        "com.au",
        "co.nz",
        "co.jp",
        "com.br",
        "gc.ca",
        "public.lu",
        "github.io",
        "gitlab.io",
        "netlify.app",
        "vercel.app",
        "pages.dev",
        "herokuapp.com",
        "azurewebsites.net",
        "cloudfront.net",
        "blogspot.com",
        "web.app",
        "firebaseapp.com",
        "appspot.com",
        "workers.dev",
        "ngrok.io",
        "ngrok-free.app",
    }
)


def site_of(origin: str) -> str:
    """The site an origin belongs to: `https://a.b.evil.example:8443` -> `evil.example`; an IP
    address or a single-label host is its own site."""
    host = (urlsplit(origin).hostname or origin).lower()
    if ":" in host:  # an IPv6 address
        return host
    labels = host.strip(".").lower().split(".")
    if len(labels) <= 2 or all(label.isdigit() for label in labels):
        return ".".join(labels)
    keep = 3 if ".".join(labels[-2:]) in _MULTI_LABEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


class OriginRegistry:
    """The approved origins: the settings file's list plus this session's own."""

    def __init__(self, settings: Settings | None = None, settings_path: Path | None = None) -> None:
        self._path = settings_path
        self._lock = threading.Lock()
        self._session: set[str] = set()
        self._mtime: float | None = None
        self._persisted: set[str] = set()
        if settings is not None:
            self._persisted = {o for o in (normalize_origin(x) for x in settings.approved_origins) if o}
            self._mtime = self._stat()
        else:
            self._reload()

    def _settings_path(self) -> Path:
        return self._path or paths.config_dir() / SETTINGS_FILE

    def _stat(self) -> float | None:
        try:
            return self._settings_path().stat().st_mtime_ns / 1e9
        except OSError:
            return None

    def _reload(self) -> None:
        settings = Settings.load(self._settings_path())
        self._persisted = {o for o in (normalize_origin(x) for x in settings.approved_origins) if o}
        self._mtime = self._stat()

    def _refresh(self) -> None:
        if self._stat() != self._mtime:
            self._reload()

    def is_approved(self, origin: str) -> bool:
        with self._lock:
            if origin in self._session:
                return True
            self._refresh()
            return origin in self._persisted

    def list(self) -> list[str]:
        with self._lock:
            self._refresh()
            return sorted(self._persisted | self._session)

    def approve(self, origin: str, *, persist: bool = True) -> str:
        """Approve `origin` (normalised); returns the canonical form. Raises ValueError if unusable."""
        canonical = normalize_origin(origin)
        if canonical is None:
            raise ValueError(origin)
        with self._lock:
            if not persist:
                self._session.add(canonical)
                return canonical
            settings = Settings.load(self._settings_path())
            if canonical not in settings.approved_origins:
                settings.approved_origins.append(canonical)
                settings.save(self._settings_path())
            self._reload()
        return canonical

    def revoke(self, origin: str) -> bool:
        """Withdraw an approval; True when there was one."""
        canonical = normalize_origin(origin) or origin.strip()
        with self._lock:
            found = canonical in self._session
            self._session.discard(canonical)
            settings = Settings.load(self._settings_path())
            kept = [o for o in settings.approved_origins if (normalize_origin(o) or o) != canonical]
            if len(kept) != len(settings.approved_origins):
                settings.approved_origins = kept
                settings.save(self._settings_path())
                found = True
            self._reload()
        from assistant.bridge.access import AccessStore

        # The pages of a withdrawn platform lose their access keys (a later approval makes new ones).
        if AccessStore().forget_origin(canonical):
            found = True
        return found


class ConsentPrompter:
    """Asks the user, off the request thread, whether an origin may use the assistant (and shows the
    code that the page must then present, see assistant.bridge.access)."""

    def __init__(
        self,
        registry: OriginRegistry,
        ask: Callable[..., bool],
        *,
        per_site_per_hour: int = QUESTIONS_PER_SITE_PER_HOUR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._ask = ask
        self._per_site = per_site_per_hour
        self._clock = clock
        self._lock = threading.Lock()
        self._refused: set[str] = set()
        self._busy = False
        self._recent: dict[str, list[float]] = {}
        self._threads: list[threading.Thread] = []

    def refused(self, origin: str) -> bool:
        """The user said no to `origin` this session: it is answered no without asking."""
        with self._lock:
            return origin in self._refused

    def why_not(self, origin: str) -> str:
        """Why `request` would not ask now: "refused", "busy", "budget" or "" (it would ask)."""
        now = self._clock()
        with self._lock:
            if origin in self._refused:
                return "refused"
            if self._busy:
                return "busy"
            recent = [t for t in self._recent.get(site_of(origin), []) if now - t < 3600]
            return "budget" if len(recent) >= self._per_site else ""

    def request(self, origin: str, *, code: str = "", on_answer: Callable[[bool], None] | None = None) -> bool:
        """Start asking about `origin` unless the user refused it this session, its site used its
        hourly budget, or another question is open. True when a question was started; its answer
        goes to `on_answer` (and a yes approves the origin)."""
        now = self._clock()
        site = site_of(origin)
        with self._lock:
            self._recent = {k: kept for k, v in self._recent.items() if (kept := [t for t in v if now - t < 3600])}
            if origin in self._refused or self._busy or len(self._recent.get(site, [])) >= self._per_site:
                return False
            self._busy = True
            self._recent.setdefault(site, []).append(now)
        thread = threading.Thread(target=self._run, args=(origin, code, on_answer), name="origin-consent", daemon=True)
        self._threads.append(thread)
        thread.start()
        return True

    def _run(self, origin: str, code: str, on_answer: Callable[[bool], None] | None) -> None:
        try:
            approved = bool(self._ask(origin, code=code) if code else self._ask(origin))
        except Exception:  # a failing dialog must not take the bridge down
            log.exception("origin approval question failed")
            approved = False
        try:
            if approved:
                self._registry.approve(origin)
                log.info("origin approved by the user: %s", origin)
            else:
                with self._lock:
                    self._refused.add(origin)
                log.info("origin refused by the user: %s", origin)
            if on_answer is not None:
                on_answer(approved)
        finally:
            with self._lock:
                self._busy = False

    def wait_idle(self, timeout: float = 5.0) -> None:
        """For tests and shutdown: wait until the open question (if any) is answered."""
        for thread in list(self._threads):
            thread.join(timeout)
