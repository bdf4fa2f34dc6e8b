"""The assistant's one HTTP transport (see `assistant.transport.core`): connections, the trust
decision, proxies, retries and the redirect rule for every request the assistant makes, to a
platform (descriptors, files, uploads, reports, pairing) or to a service (timestamps, CRL, OCSP).

A shared module at the bottom of the layers, like `assistant.tls`: platform/, signing/, bridge/
and diagnostics/ may all import it.
"""

from assistant.transport.core import (
    BLOCK,
    CHUNK,
    MAX_REDIRECTS,
    PIPELINE_THRESHOLD,
    RING,
    USER_AGENT,
    Body,
    PlatformCaError,
    PlatformError,
    RedirectRefusedError,
    RedirectRule,
    Reply,
    Response,
    TransferError,
    TransientError,
    Transport,
    UntrustedPlatformError,
    body_length,
    certificate_refused,
    check_status,
    fetch,
    is_loopback,
    origin_of,
    proxy_for,
    same_origin,
    same_server,
    transport_failure,
)

__all__ = [
    "BLOCK",
    "CHUNK",
    "MAX_REDIRECTS",
    "PIPELINE_THRESHOLD",
    "RING",
    "USER_AGENT",
    "Body",
    "PlatformCaError",
    "PlatformError",
    "RedirectRefusedError",
    "RedirectRule",
    "Reply",
    "Response",
    "TransferError",
    "TransientError",
    "Transport",
    "UntrustedPlatformError",
    "body_length",
    "certificate_refused",
    "check_status",
    "fetch",
    "is_loopback",
    "origin_of",
    "proxy_for",
    "same_origin",
    "same_server",
    "transport_failure",
]
