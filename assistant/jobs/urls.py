"""The URL rule every job URL obeys, and the error a refused descriptor field raises.

Kept apart from `descriptor.py` (which re-exports every name) so that modules the descriptor
itself calls to check a part of it — `prepare.rules` for a page's `deposit_rules` — can use the
same rule and the same error without importing the descriptor back (tests/test_structure.py
forbids import circles).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from assistant.errors import AssistantError, ErrorInfo
from assistant.hosts import is_loopback_host
from assistant.i18n import M_, Message
from assistant.jobs.errors import JobCode
from assistant.jobs.model import LOCAL_ORIGIN
from assistant.settings import Settings

__all__ = [
    "DEMO_ENV",
    "DescriptorError",
    "UrlNotAllowedError",
    "UrlPolicy",
    "demo_mode_enabled",
    "normalize_origin",
    "origin_of_url",
]

#: Environment switch of demo/test mode: plain HTTP to 127.0.0.1 becomes acceptable.
DEMO_ENV = "ASSISTANT_DEMO"


class DescriptorError(AssistantError):
    """The descriptor is malformed or breaks a rule. `.field` names the offending field."""

    code: str = JobCode.DESCRIPTOR_INVALID

    def __init__(self, field_name: str, message: Message, *, code: str | None = None) -> None:
        super().__init__(
            M_("Descripteur de traitement refusé ({field}) : {message}", field=field_name, message=message), code=code
        )
        self.field = field_name

    def info(self) -> ErrorInfo:
        return ErrorInfo(self.code, self.message_fr, self.message_en, field=self.field)


class UrlNotAllowedError(DescriptorError):
    code: str = JobCode.URL_NOT_ALLOWED


#: Spaces and control characters have no place in a URL (a regex: a per-character loop cost
#: ~0.1 ms per URL, 50 ms for a 500-file descriptor).
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20]")


def demo_mode_enabled() -> bool:
    return os.environ.get(DEMO_ENV, "") in ("1", "true", "yes")


@dataclass(frozen=True)
class UrlPolicy:
    """Which URLs a descriptor may name. `origin` is "local" or "scheme://host[:port]"."""

    origin: str
    allowed_hosts: tuple[str, ...] = ()
    loopback_http: bool = False

    @classmethod
    def for_origin(cls, origin: str, settings: Settings | None, *, loopback_http: bool | None = None) -> UrlPolicy:
        hosts = tuple(h.strip().lower() for h in (settings.allowed_hosts if settings else []) if h.strip())
        return cls(
            origin=normalize_origin(origin),
            allowed_hosts=hosts,
            loopback_http=demo_mode_enabled() if loopback_http is None else loopback_http,
        )

    def check(self, url: Any, where: str) -> str:
        if not isinstance(url, str) or not url:
            raise DescriptorError(where, M_("une URL (texte) est attendue."))
        if len(url) > 4096 or _CONTROL_OR_SPACE.search(url):
            raise DescriptorError(where, M_("URL invalide."))
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise DescriptorError(where, M_("URL invalide.")) from exc
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("https", "http"):
            raise UrlNotAllowedError(
                where,
                M_("protocole « {scheme} » refusé (HTTPS attendu).", scheme=parts.scheme),
            )
        if not host:
            raise DescriptorError(where, M_("l'URL ne nomme aucun hôte."))
        if parts.username is not None or parts.password is not None:
            raise UrlNotAllowedError(where, M_("les identifiants dans l'URL sont interdits."))
        if parts.scheme == "https":
            pass
        elif parts.scheme == "http":
            if not (self.loopback_http and is_loopback_host(host)):
                raise UrlNotAllowedError(
                    where,
                    M_("seules les adresses HTTPS sont acceptées."),
                )
        else:
            raise UrlNotAllowedError(
                where,
                M_("protocole « {scheme} » refusé (HTTPS attendu).", scheme=parts.scheme),
            )
        if self.origin == LOCAL_ORIGIN:
            return url
        url_origin = f"{parts.scheme}://{host}:{port or _default_port(parts.scheme)}"
        if url_origin == self.origin:
            return url
        if host in self.allowed_hosts or f"{host}:{port or _default_port(parts.scheme)}" in self.allowed_hosts:
            return url
        raise UrlNotAllowedError(
            where,
            M_(
                "l'hôte « {host} » n'est pas celui de la plateforme qui a demandé le traitement ni un hôte autorisé dans les réglages.",
                host=host,
            ),
        )


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def normalize_origin(origin: str) -> str:
    """ "https://Plateforme.fr" -> "https://plateforme.fr:443"; "local" stays."""
    if origin == LOCAL_ORIGIN:
        return origin
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError as exc:
        raise DescriptorError("origin", M_("origine invalide.")) from exc
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise DescriptorError("origin", M_("origine invalide."))
    return f"{parts.scheme}://{host}:{port or _default_port(parts.scheme)}"


def origin_of_url(url: str) -> str:
    parts = urlsplit(url)
    return normalize_origin(f"{parts.scheme}://{parts.netloc}")
