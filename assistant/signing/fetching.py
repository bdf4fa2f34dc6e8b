"""The one place verification fetches from the network: trusted lists, CRLs, OCSP responses.

Only the user's own actions reach here (`assistant trusted-lists update`), never a page's job.
Sizes are capped, the scheme must be http(s) (the documents are signed), and a
failure becomes a French message. The request itself is the project's transport
(`assistant.transport.fetch`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from assistant.errors import AssistantError
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


def fetch(url: str, *, data: bytes | None = None, content_type: str | None = None, what: str = "document") -> bytes:
    """GET (or POST `data`) `url` through the project's transport; the body, at most MAX_DOCUMENT bytes.

    The transport brings the trust decision, proxies, retries and its redirect rule (within the
    URL's own origin); what is added here is the scheme check and a status other than 200 said
    as a verification failure.
    """
    from assistant.transport import fetch as transport_fetch

    if not _allowed(url):
        raise FetchError(f"Adresse refusée pour {what} : {url}", f"Address refused for {what}: {url}",
                         code=SigningCode.FETCH_REFUSED)  # fmt: skip
    try:
        reply = transport_fetch(url, what=what, data=data, content_type=content_type, limit=MAX_DOCUMENT,
                                timeout=float(TIMEOUT[1]))  # fmt: skip
    except AssistantError as exc:
        raise FetchError(
            f"{what} : impossible d'obtenir {url} ({exc.message_fr})", f"{what}: cannot get {url} ({exc.message_en})"
        ) from exc
    if reply.status != 200:
        raise FetchError(
            f"{what} : le serveur {urlsplit(url).netloc} a répondu {reply.status}.",
            f"{what}: the server {urlsplit(url).netloc} answered {reply.status}.",
        )
    return reply.body
