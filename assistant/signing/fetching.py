"""The one place verification fetches from the network: trusted lists, CRLs, OCSP responses.

Only the user's own actions reach here (`assistant trusted-lists update`, `assistant verify
--online`), never a page's job. Sizes are capped, redirects limited to HTTPS or loopback, and a
failure becomes a French message. When the project's transport module lands, its public fetch
function replaces the body of `fetch` and nothing else changes.
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
    """GET (or POST `data`) `url` and return the body, at most MAX_DOCUMENT bytes."""
    import requests

    if not _allowed(url):
        raise FetchError(
            f"Adresse refusée pour {what} : {url}", f"Address refused for {what}: {url}", code=SigningCode.FETCH_REFUSED
        )
    headers = {"User-Agent": "Assistant-Marches-Publics"}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        with requests.Session() as session:
            session.max_redirects = 3
            method = "POST" if data is not None else "GET"
            with session.request(method, url, data=data, headers=headers, timeout=TIMEOUT, stream=True) as response:
                if response.status_code != 200:
                    raise FetchError(
                        f"{what} : le serveur {urlsplit(url).netloc} a répondu {response.status_code}.",
                        f"{what}: the server {urlsplit(url).netloc} answered {response.status_code}.",
                    )
                if not _allowed(response.url):
                    raise FetchError(f"Redirection refusée : {response.url}", f"Redirect refused: {response.url}",
                                     code=SigningCode.FETCH_REFUSED)  # fmt: skip
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(1 << 16):
                    size += len(chunk)
                    if size > MAX_DOCUMENT:
                        raise FetchError(f"{what} trop volumineux ({url}).", f"{what} too large ({url}).",
                                         code=SigningCode.FETCH_TOO_LARGE)  # fmt: skip
                    chunks.append(chunk)
                return b"".join(chunks)
    except requests.RequestException as exc:
        raise FetchError(
            f"{what} : impossible de joindre {urlsplit(url).netloc} ({type(exc).__name__}).",
            f"{what}: cannot reach {urlsplit(url).netloc} ({type(exc).__name__}).",
        ) from exc
