"""The TLS context the bridge serves with.

Modern settings only (TLS 1.2+, the library's secure defaults): the callers are current browsers
and the assistant's own tools. The certificate chain and key come from `assistant.bridge.ca`.
"""

from __future__ import annotations

import ssl

from assistant.bridge.ca import BridgeIdentity


def server_context(identity: BridgeIdentity) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(identity.cert_path), str(identity.key_path))
    context.set_alpn_protocols(["http/1.1"])
    return context
