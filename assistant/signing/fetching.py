"""The one place verification fetches from the network: trusted lists, CRLs, OCSP responses.

Only the user's own actions reach here (`assistant trusted-lists update`, `assistant verify
--online`), never a page's job. Sizes are capped and a failure becomes a French message. The
requests go through the assistant's one transport (`assistant.transport.fetch`): the system's trust
roots, the environment's proxies, and a redirect followed only within the URL's own server (same
host and port, or the same host moving from http to https), at most 5 times. pyHanko's own fetches
(CRL, OCSP, issuers) take the same transport through `pyhanko_fetchers`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from assistant.errors import AssistantError
from assistant.i18n import M_, Message
from assistant.signing.errors import SigningCode

MAX_DOCUMENT = 32 << 20  # a national trusted list is a few MB; a CRL, rarely more than 10 MB
TIMEOUT = (10, 60)


class FetchError(AssistantError):
    code = SigningCode.FETCH_FAILED


def _allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    # Plain HTTP is what CRL/OCSP distribution points use (their content is signed); the lists
    # are signed too. Anything else (file:, ftp:) is refused.
    return parts.scheme == "http" and bool(parts.hostname)


def fetch(
    url: str, *, data: bytes | None = None, content_type: str | None = None, what: str | Message = "document"
) -> bytes:
    """GET (or POST `data`) `url` and return the body, at most MAX_DOCUMENT bytes."""
    from assistant.transport import PlatformError, RedirectRefusedError, same_server
    from assistant.transport import fetch as transport_fetch
    from assistant.transport.errors import TransportCode

    if not _allowed(url):
        raise FetchError(M_("Adresse refusée pour {what} : {url}", what=what, url=url), code=SigningCode.FETCH_REFUSED)
    server = urlsplit(url).netloc
    try:
        reply = transport_fetch(
            url,
            what=what,
            data=data,
            content_type=content_type,
            follow=same_server,
            limit=MAX_DOCUMENT,
            timeout=float(TIMEOUT[1]),
        )
    except RedirectRefusedError:
        raise FetchError(
            M_("Redirection refusée ({what}, {server}).", what=what, server=server),
            code=SigningCode.FETCH_REFUSED,
        ) from None
    except PlatformError as exc:
        if exc.code == TransportCode.ANSWER_TOO_LARGE:
            raise FetchError(
                M_("{what} trop volumineux ({url}).", what=what, url=url), code=SigningCode.FETCH_TOO_LARGE
            ) from None
        raise FetchError(
            M_("{what} : impossible de joindre {server} ({reason})", what=what, server=server, reason=exc.both()),
        ) from exc
    if reply.status != 200:
        raise FetchError(
            M_("{what} : le serveur {server} a répondu {status}.", what=what, server=server, status=reply.status),
        )
    return reply.body
