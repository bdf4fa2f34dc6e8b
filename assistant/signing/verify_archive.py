"""Judging archive timestamps (B-LTA) once their imprint is recomputed (archive_cades / archive_xades).

A stamp is valid when its token's message imprint is the one recomputed from the signature as it
stands, its TSA signature checks, and the TSA's certificate chains to a trust anchor. Each stamp
but the last is judged at the time of the next one (the next archive timestamp is what keeps it
provable), the last one now. The report names its time and its authority; a stamp that fails says
why, and the signature is then not called B-LTA.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509

from assistant.i18n import _


@dataclass(frozen=True)
class ArchiveTimestampReport:
    """What the verification report says of one archive timestamp."""

    time: dt.datetime | None
    valid: bool
    authority: str = ""  # the TSA's name, from its certificate
    problem: str = ""  # why it is not valid, in the user's language ('' when valid)

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat() if self.time else None,
            "valid": self.valid,
            "authority": self.authority or None,
            "problem": self.problem or None,
        }


#: Builds a validation context from the certificates at hand, a moment (None: now) and the
#: archive token (whose own validation data it adds to the signature's).
ContextFactory = Callable[[list[asn1_x509.Certificate], dt.datetime | None, cms.ContentInfo], Any]


def judge(
    stamps: Sequence[tuple[cms.ContentInfo | None, bytes | None, str]], context_for: ContextFactory
) -> list[ArchiveTimestampReport]:
    """One report per (token, recomputed imprint, structural problem), in the signature's order."""
    from assistant.signing.timestamp import tst_info

    times: list[dt.datetime | None] = []
    for token, _digest, _problem in stamps:
        try:
            times.append(tst_info(token)["gen_time"].native if token is not None else None)
        except Exception:
            times.append(None)
    reports: list[ArchiveTimestampReport] = []
    for index, (token, digest, problem) in enumerate(stamps):
        later = next((t for t in times[index + 1 :] if t is not None), None)
        reports.append(_judge_one(token, digest, problem, times[index], later, context_for))
    return reports


def _judge_one(
    token: cms.ContentInfo | None,
    digest: bytes | None,
    problem: str,
    time: dt.datetime | None,
    moment: dt.datetime | None,
    context_for: ContextFactory,
) -> ArchiveTimestampReport:
    if token is None:
        return ArchiveTimestampReport(time, False, "", problem or _("Horodatage d'archive illisible."))
    authority = _authority(token)
    if problem or digest is None:
        return ArchiveTimestampReport(time, False, authority, problem or _("Horodatage d'archive illisible."))
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus

    try:
        certs = [c.chosen for c in token["content"]["certificates"] if c.name == "certificate"]
        vc = context_for(certs, moment, token)
        kwargs = asyncio.run(validate_tst_signed_data(token["content"], vc, lambda _algorithm: digest))
        status = TimestampSignatureStatus(**kwargs)
    except Exception:
        return ArchiveTimestampReport(
            time, False, authority, _("Horodatage d'archive invalide : sa signature ne se vérifie pas.")
        )
    if not status.intact:
        return ArchiveTimestampReport(
            time,
            False,
            authority,
            _(
                "Horodatage d'archive invalide : il ne porte pas sur la signature telle qu'elle est "
                "(la signature, ses données de validation ou le document ont été modifiés depuis)."
            ),
        )
    if not status.valid:
        return ArchiveTimestampReport(
            time, False, authority, _("Horodatage d'archive invalide : sa signature ne se vérifie pas.")
        )
    if not status.trusted:
        return ArchiveTimestampReport(
            time,
            False,
            authority,
            _(
                "Horodatage d'archive non validé : le certificat de son autorité ne remonte pas à une "
                "autorité de confiance."
            ),
        )
    return ArchiveTimestampReport(time, True, authority)


def _authority(token: cms.ContentInfo) -> str:
    """The TSA's common name (or whole name), from the certificate that signed the token."""
    try:
        signed_data = token["content"]
        sid = signed_data["signer_infos"][0]["sid"]
        certs = [c.chosen for c in signed_data["certificates"] if c.name == "certificate"]
        for cert in certs:
            if sid.name == "issuer_and_serial_number" and cert.serial_number == sid.chosen["serial_number"].native:
                return _name(cert)
            if sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
                return _name(cert)
        return _name(certs[0]) if certs else ""
    except Exception:
        return ""


def _name(cert: asn1_x509.Certificate) -> str:
    native = cert.subject.native
    return str(native.get("common_name") or cert.subject.human_friendly)
