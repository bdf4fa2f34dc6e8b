"""RFC 3161 timestamps for level B-T signatures.

One small synchronous client serves the three formats: CAdES puts the token in the
signature-time-stamp unsigned attribute, XAdES in SignatureTimeStamp, and pyHanko (PAdES) gets it
through `PyHankoTimeStamper`. The response is checked before use (status, nonce, message imprint):
a token over the wrong digest would make a signature look timestamped when it is not.

The requests go through the assistant's one transport (`assistant.transport`): the system's trust
roots, the environment's proxies, and a redirect followed only within the TSA URL's own server
(`same_server`: its origin, or http to https on the same host).
"""

from __future__ import annotations

import secrets
from typing import Any

from asn1crypto import algos, cms, core, tsp
from pyhanko.sign.timestamps.api import TimeStamper

from assistant.errors import AssistantError
from assistant.i18n import M_, Message
from assistant.signing.errors import SigningCode
from assistant.transport import (
    PlatformError,
    RedirectRefusedError,
    Transport,
    UntrustedPlatformError,
    fetch,
    same_server,
)
from assistant.transport.errors import TransportCode

TIMEOUT = 30.0  # seconds, to connect and between two reads
MAX_RESPONSE = 1 << 20


class TimestampError(AssistantError):
    code: str = SigningCode.TIMESTAMP


def _error(url: str, detail: Message) -> TimestampError:
    return TimestampError(M_("L'horodatage de la signature a échoué ({url}) : {detail}", url=url, detail=detail))


class TsaClient:
    """Talks to one timestamp authority; reuses its HTTP connection across a batch."""

    def __init__(self, url: str, *, hash_name: str = "sha256", transport: Transport | None = None) -> None:
        if not url.lower().startswith(("http://", "https://")):
            raise TimestampError(
                M_("Adresse du service d'horodatage invalide : {url}", url=url),
                code=SigningCode.BAD_TSA_URL,
            )
        self.url = url
        self.hash_name = hash_name
        self._transport = transport or Transport(follow=same_server, timeout=TIMEOUT, retries=1)

    def request(self, request: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Send a ready-made request, return the parsed response (unchecked)."""
        try:
            reply = fetch(
                self.url,
                what=M_("horodatage"),
                data=request.dump(),
                content_type="application/timestamp-query",
                accept="application/timestamp-reply",
                limit=MAX_RESPONSE,
                transport=self._transport,
            )
        except RedirectRefusedError:
            raise _error(self.url, M_("le service renvoie vers une autre adresse, qui n'est pas suivie.")) from None
        except UntrustedPlatformError:
            raise _error(self.url, M_("son certificat HTTPS n'est pas reconnu.")) from None
        except PlatformError as exc:
            if exc.code == TransportCode.ANSWER_TOO_LARGE:
                raise _error(self.url, M_("réponse trop volumineuse.")) from None
            raise _error(self.url, M_("service injoignable.")) from exc
        if reply.status != 200:
            raise _error(self.url, M_("réponse HTTP {status}.", status=reply.status))
        body = reply.body
        try:
            response = tsp.TimeStampResp.load(body)
            response["status"]["status"].native  # noqa: B018 - parses the outer layers only
        except Exception as exc:
            raise _error(self.url, M_("réponse illisible.")) from exc
        # No `.native` of the whole response here: asn1crypto would then re-encode the token
        # piece by piece each time pyHanko dumps it (seconds per PDF instead of milliseconds).
        return response

    def timestamp(self, digest: bytes) -> cms.ContentInfo:
        """A checked timestamp token over `digest` (of `self.hash_name`)."""
        nonce = secrets.randbits(63)
        request = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": self.hash_name}, "hashed_message": digest},
                "nonce": nonce,
                "cert_req": True,
            }
        )
        return check_response(self.request(request), digest, nonce, self.url)

    def __call__(self, digest: bytes) -> cms.ContentInfo:
        return self.timestamp(digest)

    def close(self) -> None:
        self._transport.close()


def check_response(response: tsp.TimeStampResp, digest: bytes, nonce: int | None, url: str) -> cms.ContentInfo:
    try:
        return _check_response(response, digest, nonce, url)
    except TimestampError:
        raise
    except Exception as exc:  # a malformed token deep inside the response
        raise _error(url, M_("réponse illisible.")) from exc


def _check_response(response: tsp.TimeStampResp, digest: bytes, nonce: int | None, url: str) -> cms.ContentInfo:
    status = response["status"]["status"].native
    if status not in ("granted", "granted_with_mods"):
        raise _error(url, M_("refusé par le service ({status}).", status=status))
    token = response["time_stamp_token"]
    if not isinstance(token, cms.ContentInfo) or token["content_type"].native != "signed_data":
        raise _error(url, M_("jeton absent."))
    info = tst_info(token)
    imprint = info["message_imprint"]
    if imprint["hashed_message"].native != digest:
        raise _error(url, M_("le jeton ne porte pas sur la signature envoyée."))
    if nonce is not None and info["nonce"].native != nonce:
        raise _error(url, M_("réponse rejouée (nonce différent)."))
    return token


def tst_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    content = token["content"]["encap_content_info"]["content"]
    parsed = content.parsed if isinstance(content, core.ParsableOctetString) else content
    assert isinstance(parsed, tsp.TSTInfo)
    return parsed


class PyHankoTimeStamper(TimeStamper):
    """pyHanko's timestamper interface over our client, so PAdES uses the same checks and errors."""

    def __init__(self, client: TsaClient) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self._client = client

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self._client.request(req)

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> cms.ContentInfo:
        nonce, req = self.request_cms(message_digest, md_algorithm)  # type: ignore[no-untyped-call]
        response = await self.async_request_tsa_response(req)
        return check_response(response, message_digest, nonce, self._client.url)


def digest_algorithm(name: str) -> algos.DigestAlgorithm:
    return algos.DigestAlgorithm({"algorithm": name})


def describe(token: cms.ContentInfo) -> dict[str, Any]:
    """Time and authority of a token, for reports."""
    info = tst_info(token)
    return {"time": info["gen_time"].native, "serial": info["serial_number"].native}
