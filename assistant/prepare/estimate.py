"""How long the upload will take, and when to start it at the latest.

The platform timestamps the last byte received; upload bandwidth is often 5 to 10 times lower
than download, and courts put the fault on bidders who started too late. So we measure: a short
upload to the platform's test endpoint (a few seconds at most), which gives the rate this
workstation really gets towards this platform now, plus one small request for the per-file cost
(a round trip and the platform's handling of each file). From the deposit's total size and file
count that gives the duration; with the deadline, the latest start time, with a safety factor for
a link that varies (other people on the office's line, Wi-Fi).
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import time
from dataclasses import dataclass

from assistant.errors import AssistantError
from assistant.i18n import M_, Bilingual, Message, translate
from assistant.prepare.errors import PrepareCode
from assistant.progress import CancelToken
from assistant.units import format_size

#: The bandwidth of an office line varies: plan for 1.5 times the measured duration,
SAFETY_FACTOR = 1.5
#: plus this much for logging in, filling the platform's form and the unexpected.
FIXED_MARGIN = dt.timedelta(minutes=15)
#: The measurement: start small, double while a sample takes less than `target_seconds`.
FIRST_SAMPLE = 64 << 10
MAX_SAMPLE = 64 << 20


class Verdict(enum.StrEnum):
    OK = "ok"
    THIN = "thin"  # it fits, but with less margin than we advise: start now
    TOO_LATE = "too_late"  # at the measured rate the last byte would arrive after the deadline
    NO_DEADLINE = "no_deadline"


@dataclass(frozen=True)
class UploadMeasure:
    sent: int  # bytes of the sample that gave the rate
    seconds: float
    request_seconds: float  # the cost of one small request (per-file overhead)

    @property
    def rate(self) -> float:
        """Bytes per second."""
        return self.sent / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True)
class UploadEstimate:
    total_bytes: int
    files: int
    rate: float
    seconds: float
    deadline: dt.datetime | None
    latest_start: dt.datetime | None
    verdict: Verdict
    now: dt.datetime

    @property
    def duration_text(self) -> str:
        return duration_fr(self.seconds)

    @property
    def rate_text(self) -> str:
        return f"{self.rate * 8 / 1e6:.1f} Mbit/s"

    def _message(self) -> Message:
        """What the estimate means for the deposit (French source, both languages from the catalogue)."""
        base = M_(
            "Envoi estimé : {duration} pour {size} ({files} fichier(s)) à {rate} mesurés vers la plateforme.",
            duration=self.duration_text,
            size=Bilingual(format_size(self.total_bytes), format_size(self.total_bytes, "en")),
            files=self.files,
            rate=self.rate_text,
        )
        if self.deadline is None or self.latest_start is None:
            return M_("{base} La date limite n'est pas connue : déposez sans attendre.", base=base)
        deadline, latest = _moment(self.deadline), _moment(self.latest_start)
        if self.verdict is Verdict.TOO_LATE:
            return M_(
                "{base} Au débit mesuré, le dernier octet arriverait après la date limite ({deadline}). Réduisez la "
                "taille du dépôt, changez de connexion, ou contactez l'acheteur maintenant.",
                base=base,
                deadline=deadline,
            )
        if self.verdict is Verdict.THIN:
            return M_(
                "{base} La marge est trop mince : il fallait commencer avant {latest} (date limite : {deadline}). "
                "Commencez l'envoi immédiatement.",
                base=base,
                latest=latest,
                deadline=deadline,
            )
        return M_(
            "{base} Commencez l'envoi au plus tard le {latest} (date limite : {deadline}).",
            base=base,
            latest=latest,
            deadline=deadline,
        )

    @property
    def message_fr(self) -> str:
        return self._message().text("fr")

    @property
    def message_en(self) -> str:
        return self._message().text("en")

    @property
    def message(self) -> str:
        """In the user's language."""
        return str(self._message())


def _moment(moment: dt.datetime) -> Bilingual:
    local = moment.astimezone()
    return Bilingual(local.strftime("%d/%m/%Y à %H:%M"), local.strftime(translate("%d/%m/%Y à %H:%M", "en")))


def duration_fr(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def estimate_upload(
    total_bytes: int,
    files: int,
    measure: UploadMeasure,
    *,
    deadline: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> UploadEstimate:
    now = now or dt.datetime.now(dt.UTC)
    seconds = total_bytes / measure.rate + files * measure.request_seconds
    if deadline is None:
        return UploadEstimate(total_bytes, files, measure.rate, seconds, None, None, Verdict.NO_DEADLINE, now)
    latest = deadline - dt.timedelta(seconds=seconds * SAFETY_FACTOR) - FIXED_MARGIN
    if now + dt.timedelta(seconds=seconds) > deadline:
        verdict = Verdict.TOO_LATE
    elif now > latest:
        verdict = Verdict.THIN
    else:
        verdict = Verdict.OK
    return UploadEstimate(total_bytes, files, measure.rate, seconds, deadline, latest, verdict, now)


class UploadTestError(AssistantError):
    code: str = PrepareCode.UPLOAD_TEST_FAILED


def measure_upload(
    url: str,
    *,
    target_seconds: float = 2.0,
    max_seconds: float = 10.0,
    token: str | None = None,
    verify: object = True,
    cancel: CancelToken | None = None,
) -> UploadMeasure:
    """Upload random bytes to the platform's test endpoint until one sample lasts `target_seconds`.

    Random bytes: a proxy or the link may compress, and a compressible sample would flatter the
    rate. A first tiny request opens the connection (the deposit's uploads reuse theirs); a second
    one, on the open connection, gives the per-file cost (a round trip and the platform's handling).
    The longest sample, less that per-request cost, gives the transfer rate. Nothing is kept by
    the platform (the endpoint discards what it receives).
    """
    from assistant.platform.client import PlatformClient

    client = PlatformClient(token, retries=1, verify=verify)  # type: ignore[arg-type]
    try:
        started = time.monotonic()
        _timed(client, url, os.urandom(1024), cancel)  # opens the connection
        tiny = _timed(client, url, os.urandom(1024), cancel)
        size = FIRST_SAMPLE
        best = (size, _timed(client, url, os.urandom(size), cancel))
        while best[1] < target_seconds and size < MAX_SAMPLE:
            elapsed = time.monotonic() - started
            # next size from the rate seen so far, aiming at the target duration, at most x8
            rate = best[0] / max(best[1], 1e-3)
            size = int(min(MAX_SAMPLE, max(size * 2, min(size * 8, rate * target_seconds))))
            if elapsed + size / rate > max_seconds:
                break
            best = (size, _timed(client, url, os.urandom(size), cancel))
        request = min(tiny, best[1] / 2)
        return UploadMeasure(best[0], best[1] - request, request)
    finally:
        client.close()


def _timed(client: object, url: str, body: bytes, cancel: CancelToken | None) -> float:
    from assistant.platform.client import PlatformClient

    assert isinstance(client, PlatformClient)
    if cancel is not None:
        cancel.raise_if_cancelled()
    start = time.monotonic()
    try:
        client.upload(url, body, what=M_("test d'envoi"), cancel=cancel)
    except AssistantError as exc:
        raise UploadTestError(M_("Le test d'envoi vers la plateforme a échoué : {reason}", reason=exc.both())) from exc
    return time.monotonic() - start
