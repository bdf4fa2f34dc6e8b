"""pyHanko's certificate, CRL and OCSP fetches over the assistant's one transport.

pyHanko (pyhanko-certvalidator) fetches revocation data and missing issuers itself when a
validation context allows fetching. Its `requests` backend would open its own connections, outside
the assistant's trust decision, proxy choice and redirect rule; this backend keeps pyHanko's
fetch logic (which URLs, budgets, parsing) and sends each request through
`assistant.transport.fetch` instead: the system's trust roots, the environment's proxies, a
redirect followed only within the URL's own origin, a bounded answer.

Use `fetcher_backend()` wherever a `ValidationContext` may fetch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any

import requests
from pyhanko_certvalidator.fetchers.api import Fetchers, FetchLimits
from pyhanko_certvalidator.fetchers.common_utils import FetchBudget
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from pyhanko_certvalidator.fetchers.requests_fetchers.cert_fetch_client import RequestsCertificateFetcher
from pyhanko_certvalidator.fetchers.requests_fetchers.crl_client import RequestsCRLFetcher
from pyhanko_certvalidator.fetchers.requests_fetchers.ocsp_client import RequestsOCSPFetcher

from assistant.errors import AssistantError
from assistant.i18n import M_
from assistant.transport import TransientError, fetch

__all__ = ["TransportFetcherBackend", "fetcher_backend"]

MAX_ANSWER = 32 << 20  # a CRL of a large CA runs to a few MiB; an OCSP answer or a certificate, KiB


class _Answer:
    """What pyHanko's fetchers read of an answer (the names of a requests.Response)."""

    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status
        self.headers = requests.structures.CaseInsensitiveDict(headers)
        self.content = content


class _OverTransport:
    """Replaces the `_get`/`_post` of pyHanko's requests fetchers (a mixin placed first)."""

    per_request_timeout: float

    def _get(self, url: str, *, acceptable_content_types: Iterable[str]) -> Awaitable[_Answer]:
        return asyncio.to_thread(self._send, url, None, None, acceptable_content_types)

    def _post(
        self, url: str, data: bytes, *, content_type: str, acceptable_content_types: Iterable[str]
    ) -> Awaitable[_Answer]:
        return asyncio.to_thread(self._send, url, data, content_type, acceptable_content_types)

    def _send(self, url: str, data: bytes | None, content_type: str | None, accept: Iterable[str]) -> _Answer:
        try:
            reply = fetch(
                url,
                what=M_("révocation"),
                data=data,
                content_type=content_type,
                accept=",".join(accept),
                timeout=float(self.per_request_timeout),
                limit=MAX_ANSWER,
                retries=1,
            )
        except (AssistantError, TransientError) as exc:
            # pyHanko records the failure (soft- or hard-fail as the context says) and goes on.
            raise requests.RequestException(str(exc)) from None
        if reply.status != 200:
            raise requests.RequestException(f"status code {reply.status}")
        return _Answer(reply.status, dict(reply.headers), reply.body)


class _CRLFetcher(_OverTransport, RequestsCRLFetcher):  # type: ignore[misc]
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]


class _OCSPFetcher(_OverTransport, RequestsOCSPFetcher):  # type: ignore[misc]
    pass


class _CertificateFetcher(_OverTransport, RequestsCertificateFetcher):  # type: ignore[misc]
    pass


class TransportFetcherBackend(RequestsFetcherBackend):  # type: ignore[misc]
    """pyHanko's fetcher backend, its requests going through `assistant.transport`."""

    def get_fetchers(self) -> Fetchers:
        timeout = self.per_request_timeout
        budget = FetchBudget(self.limits)
        return Fetchers(
            ocsp_fetcher=_OCSPFetcher(per_request_timeout=timeout, budget=budget),
            crl_fetcher=_CRLFetcher(per_request_timeout=timeout, budget=budget),
            cert_fetcher=_CertificateFetcher(per_request_timeout=timeout, budget=budget),
        )


def fetcher_backend(per_request_timeout: float = 10, *, limits: Any = None) -> TransportFetcherBackend:
    """The backend to give a pyHanko `ValidationContext` that may fetch (`fetcher_backend=`)."""
    return TransportFetcherBackend(
        per_request_timeout, limits=limits if isinstance(limits, FetchLimits) else FetchLimits()
    )
