"""EU trusted lists (ETSI TS 119 612): is the signer's certificate qualified, as its Member State says?

A certificate can write QcCompliance whatever its CA's status; what counts for eIDAS is the
national trusted list of the CA's country, itself listed (with the certificates that may sign it)
by the European Commission's List of Trusted Lists (LOTL). `update` fetches the LOTL, checks its
XML signature against the certificates the Official Journal publishes (shipped, `lotl_signers`, or
pinned by the user), following the pivot LOTLs published since when the Commission has changed
its signing certificates (`_verify_lotl`), then fetches each national list the LOTL points to and checks its signature against the
certificates the LOTL pins for it. Only lists whose signature holds are kept, in a dated local
cache; a list that fails is recorded as such, never used.

`qualified_status(cert, moment)` then looks for the CA/QC service that issued the certificate
(the service's certificate: subject and key identifier) and reads the status that applied at the
signing time from the service's history: granted (or, before eIDAS, accredited/under supervision)
at that moment, with the qualifiers of the matching Qualifications extension (QCWithSSCD,
QCWithQSCD, QCForESig, QCForLegalPerson, NotQualified…).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from assistant.errors import AssistantError
from assistant.i18n import M_, _
from assistant.signing.errors import SigningCode
from assistant.signing.findings import Finding, ListReason

TSL = "http://uri.etsi.org/02231/v2#"
TSLX = "http://uri.etsi.org/02231/v2/additionaltypes#"
ECC = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
TSL_MIME = "application/vnd.etsi.tsl+xml"
SERVICE_CA_QC = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
GRANTED = (
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted",
    # Before eIDAS (directive 1999/93/EC): the statuses that meant "qualified" then.
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/accredited",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/undersupervision",
    "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/supervisionincessation",
)
ASI_FOR_ESIGNATURES = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSignatures"
DEFAULT_LOTL_URL = "https://ec.europa.eu/tools/lotl/eu-lotl.xml"
#: OtherInformation/TSLType of a pointer to a list of lists (the LOTL's pointer to itself, in a pivot).
LOTL_TYPE_SUFFIX = "/EUlistofthelists"
STATE_FILE = "state.json"


class TrustedListError(AssistantError):
    code = SigningCode.TRUSTED_LIST


def _t(tag: str) -> str:
    return f"{{{TSL}}}{tag}"


# --------------------------------------------------------------------------------------------
# Model


@dataclass(frozen=True)
class StatusPeriod:
    status: str
    start: dt.datetime
    qualifiers: tuple[tuple[tuple[str, ...], Any], ...]  # (qualifier names, criteria element)
    for_esignatures: bool


@dataclass(frozen=True)
class TrustService:
    provider: str
    name: str
    type_uri: str
    certificates: tuple[x509.Certificate, ...]
    periods: tuple[StatusPeriod, ...]  # newest first

    def period_at(self, moment: dt.datetime) -> StatusPeriod | None:
        started = [p for p in self.periods if p.start <= moment]
        return max(started, key=lambda p: p.start) if started else None


@dataclass(frozen=True)
class TrustedList:
    territory: str
    sequence_number: int
    issued: dt.datetime | None
    next_update: dt.datetime | None
    url: str
    services: tuple[TrustService, ...]
    pointers: tuple[ListPointer, ...] = ()
    scheme_uris: tuple[str, ...] = ()  # SchemeInformationURI, in order (a LOTL: OJ notices, pivots)


@dataclass(frozen=True)
class ListPointer:
    territory: str
    url: str
    certificates: tuple[x509.Certificate, ...]
    tsl_type: str = ""

    @property
    def is_list_of_lists(self) -> bool:
        return self.tsl_type.endswith(LOTL_TYPE_SUFFIX)


@dataclass(frozen=True)
class QualifiedStatus:
    """The trusted lists' answer for one certificate at one moment."""

    confirmed: bool  # a CA/QC service granted at that moment issued it, as a qualified certificate
    territory: str = ""
    sequence_number: int | None = None
    service: str = ""
    provider: str = ""
    status: str = ""  # last path segment of the status URI at that moment
    qualifiers: tuple[str, ...] = ()
    qscd: bool | None = None  # the key was on a qualified device (QCWithSSCD/QCWithQSCD or the cert's QcSSCD)
    reason: Finding | None = None  # why not confirmed (a ListReason), worded when read

    def to_dict(self) -> dict[str, Any]:
        return {
            "confirmed": self.confirmed,
            "territory": self.territory or None,
            "sequence_number": self.sequence_number,
            "service": self.service or None,
            "provider": self.provider or None,
            "status": self.status or None,
            "qualifiers": list(self.qualifiers),
            "qscd": self.qscd,
            "reason": self.reason.text if self.reason is not None else None,
            "reason_code": self.reason.code.value if self.reason is not None else None,
        }


# --------------------------------------------------------------------------------------------
# Parsing


def _text(node: Any, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _date(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _name(node: Any, path: str) -> str:
    names = node.findall(f"{path}/{_t('Name')}")
    for item in names:
        if item.get("{http://www.w3.org/XML/1998/namespace}lang") in ("en", "fr"):
            return (item.text or "").strip()
    return (names[0].text or "").strip() if names else ""


def _certificates(node: Any) -> tuple[x509.Certificate, ...]:
    certs = []
    for item in node.iter(_t("X509Certificate")):
        try:
            certs.append(x509.load_der_x509_certificate(base64.b64decode("".join((item.text or "").split()))))
        except ValueError:
            continue
    return tuple(certs)


def _extensions(node: Any) -> tuple[tuple[tuple[tuple[str, ...], Any], ...], bool]:
    qualifiers: list[tuple[tuple[str, ...], Any]] = []
    for element in node.iter(f"{{{ECC}}}QualificationElement"):
        names = tuple((q.get("uri") or "").rstrip("/").rsplit("/", 1)[-1] for q in element.iter(f"{{{ECC}}}Qualifier"))
        qualifiers.append((names, element.find(f"{{{ECC}}}CriteriaList")))
    for_esig = any(
        (uri.text or "").strip() == ASI_FOR_ESIGNATURES
        for uri in node.iter(_t("URI"))
        if uri.getparent() is not None and uri.getparent().tag == _t("AdditionalServiceInformation")
    )
    return tuple(qualifiers), for_esig


def _period(node: Any) -> StatusPeriod | None:
    start = _date(_text(node, _t("StatusStartingTime")))
    if start is None:
        return None
    ext = node.find(_t("ServiceInformationExtensions"))
    qualifiers, for_esig = _extensions(ext) if ext is not None else ((), False)
    return StatusPeriod(_text(node, _t("ServiceStatus")), start, qualifiers, for_esig)


def parse_list(root: Any, url: str = "") -> TrustedList:
    """A TS 119 612 list (national list or LOTL) from its parsed XML."""
    info = root.find(_t("SchemeInformation"))
    if root.tag != _t("TrustServiceStatusList") or info is None:
        raise TrustedListError(
            M_("Ce document n'est pas une liste de confiance (ETSI TS 119 612)."),
        )
    try:
        sequence = int(_text(info, _t("TSLSequenceNumber")) or "0")
    except ValueError:
        sequence = 0
    services: list[TrustService] = []
    for provider in root.iter(_t("TrustServiceProvider")):
        provider_name = _name(provider, f"{_t('TSPInformation')}/{_t('TSPName')}")
        for service in provider.iter(_t("TSPService")):
            current = service.find(_t("ServiceInformation"))
            if current is None:
                continue
            periods = [p for p in [_period(current)] if p is not None]
            for instance in service.iter(_t("ServiceHistoryInstance")):
                if (old := _period(instance)) is not None:
                    periods.append(old)
            identity = current.find(_t("ServiceDigitalIdentity"))
            services.append(
                TrustService(
                    provider=provider_name,
                    name=_name(current, _t("ServiceName")),
                    type_uri=_text(current, _t("ServiceTypeIdentifier")),
                    certificates=_certificates(identity) if identity is not None else (),
                    periods=tuple(sorted(periods, key=lambda p: p.start, reverse=True)),
                )
            )
    pointers: list[ListPointer] = []
    for pointer in info.iter(_t("OtherTSLPointer")):
        mime = ""
        territory = ""
        tsl_type = ""
        for other in pointer.iter(_t("OtherInformation")):
            territory = territory or _text(other, _t("SchemeTerritory"))
            mime = mime or _text(other, f"{{{TSLX}}}MimeType")
            tsl_type = tsl_type or _text(other, _t("TSLType"))
        location = _text(pointer, _t("TSLLocation"))
        identities = pointer.find(_t("ServiceDigitalIdentities"))
        if mime == TSL_MIME and location and identities is not None:
            pointers.append(ListPointer(territory, location, _certificates(identities), tsl_type))
    scheme_uris = tuple(
        (uri.text or "").strip() for uri in info.findall(f"{_t('SchemeInformationURI')}/{_t('URI')}") if uri.text
    )
    next_update = info.find(_t("NextUpdate"))
    return TrustedList(
        territory=_text(info, _t("SchemeTerritory")),
        sequence_number=sequence,
        issued=_date(_text(info, _t("ListIssueDateTime"))),
        next_update=_date(_text(next_update, _t("dateTime"))) if next_update is not None else None,
        url=url,
        services=tuple(services),
        pointers=tuple(pointers),
        scheme_uris=scheme_uris,
    )


# --------------------------------------------------------------------------------------------
# Signatures


def verify_list_signature(data: bytes, pinned: Iterable[x509.Certificate]) -> Any:
    """The parsed list if its enveloped XML signature holds with one of the `pinned` certificates.

    The key is taken from the pinned certificate, never from the list's own KeyInfo: a list
    signed by anyone else fails, whatever certificate it carries.
    """
    import xmlsec
    from cryptography.hazmat.primitives import serialization

    from assistant.signing import verify_xml

    try:
        root = verify_xml.parse_xml(data)
    except Exception as exc:
        raise TrustedListError(M_("Liste de confiance illisible (XML invalide).")) from exc
    signatures = [s for s in root.findall(f"{{{verify_xml.DS}}}Signature")]
    if len(signatures) != 1:
        raise TrustedListError(M_("La liste de confiance n'est pas signée."))
    signature = signatures[0]
    for reference in signature.iter(f"{{{verify_xml.DS}}}Reference"):
        uri = reference.get("URI") or ""
        if uri and not uri.startswith("#"):
            raise TrustedListError(M_("Référence externe dans la signature de la liste."))
    verify_xml.register_ids(root)
    for cert in pinned:
        key = xmlsec.Key.from_memory(
            cert.public_bytes(serialization.Encoding.DER), xmlsec.constants.KeyDataFormatCertDer
        )
        ctx = xmlsec.SignatureContext()
        ctx.key = key
        with verify_xml.only_files({}):
            try:
                ctx.verify(signature)
            except xmlsec.Error:
                continue
        if not _covers_root(root, signature):
            break
        return root
    raise TrustedListError(
        M_("La signature de la liste de confiance ne se vérifie avec aucun des certificats attendus."),
        code=SigningCode.TRUSTED_LIST_SIGNATURE,
    )


def _covers_root(root: Any, signature: Any) -> bool:
    """The signed reference is the whole list (URI="" or the root's Id), not some fragment."""
    root_ids = {root.get(a) for a in ("Id", "ID", "id")} - {None}
    for reference in signature.find(
        f"{{{signature.nsmap.get('ds') or 'http://www.w3.org/2000/09/xmldsig#'}}}SignedInfo"
    ):
        uri = reference.get("URI")
        if uri == "" or (uri and uri[1:] in root_ids):
            return True
    return False


# --------------------------------------------------------------------------------------------
# The local cache


@dataclass
class ListState:
    territory: str
    url: str
    fetched_at: str
    sequence_number: int | None = None
    issued: str | None = None
    next_update: str | None = None
    file: str | None = None
    error: str | None = None


@dataclass
class CacheState:
    lotl_url: str = ""
    updated_at: str = ""
    lists: list[ListState] = field(default_factory=list)


class TrustedListCache:
    """Verified lists on disk (`folder`), read once per process and re-read when updated."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._lists: list[TrustedList] | None = None
        self._stamp: float | None = None

    @classmethod
    def default(cls) -> TrustedListCache:
        from assistant import paths

        return cls(paths.cache_dir() / "trusted-lists")

    # -- state ---------------------------------------------------------------------------------
    def state(self) -> CacheState:
        try:
            raw = json.loads((self.folder / STATE_FILE).read_text(encoding="utf-8"))
            return CacheState(
                raw.get("lotl_url", ""), raw.get("updated_at", ""), [ListState(**item) for item in raw.get("lists", [])]
            )
        except (OSError, ValueError, TypeError):
            return CacheState()

    def _write_state(self, state: CacheState) -> None:
        from dataclasses import asdict

        from assistant.reports.write import write_bytes_atomic

        write_bytes_atomic(self.folder / STATE_FILE, json.dumps(asdict(state), ensure_ascii=False, indent=2).encode())

    # -- reading -------------------------------------------------------------------------------
    def lists(self) -> list[TrustedList]:
        state_path = self.folder / STATE_FILE
        try:
            stamp = state_path.stat().st_mtime
        except OSError:
            return []
        from assistant.signing import verify_xml  # lxml and xmlsec: only when there are lists to read

        with self._lock:
            if self._lists is not None and self._stamp == stamp:
                return self._lists
            loaded: list[TrustedList] = []
            for item in self.state().lists:
                if item.file is None or item.error:
                    continue
                try:
                    root = verify_xml.parse_xml((self.folder / item.file).read_bytes())
                    loaded.append(parse_list(root, item.url))
                except Exception:  # noqa: S112 - a damaged cache file is one list less, not a failure
                    continue
            self._lists, self._stamp = loaded, stamp
            return loaded

    # -- updating ------------------------------------------------------------------------------
    def update(
        self,
        lotl_url: str,
        lotl_pins: list[x509.Certificate],
        fetch: Any = None,
        announcement: Callable[[str], bool] | None = None,
    ) -> CacheState:
        """Fetch and check the LOTL and every national list it points to; keep the verified ones.

        `lotl_pins` are the certificates an Official Journal notice published; `announcement`
        recognises that notice's address among the LOTL's SchemeInformationURI, so that only the
        pivots published after it are followed (None: every pivot, as for certificates the user
        pinned).
        """
        from assistant.reports.write import write_bytes_atomic

        if fetch is None:
            from assistant.signing.fetching import fetch
        if not lotl_pins:
            raise TrustedListError(
                M_(
                    "Aucun certificat de signature de la liste des listes (LOTL) n'est configuré : indiquez-le (--lotl-cert), tel que publié au Journal officiel de l'UE."
                ),
                code=SigningCode.LOTL_PINS_MISSING,
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        lotl_data = fetch(lotl_url, what=M_("liste des listes de confiance"))
        lotl_root = _verify_lotl(lotl_data, lotl_url, lotl_pins, announcement, fetch)
        lotl = parse_list(lotl_root, lotl_url)
        write_bytes_atomic(self.folder / "lotl.xml", lotl_data)
        states = [ListState("EU", lotl_url, now, lotl.sequence_number, _iso(lotl.issued), _iso(lotl.next_update), None)]
        for pointer in lotl.pointers:
            if pointer.is_list_of_lists:
                continue  # the LOTL's pointer to itself (or to another list of lists): not a national list
            item = ListState(pointer.territory, pointer.url, now)
            try:
                data = fetch(pointer.url, what=M_("liste de confiance {territory}", territory=pointer.territory))
                parsed = parse_list(verify_list_signature(data, pointer.certificates), pointer.url)
                name = f"tl-{''.join(c for c in pointer.territory if c.isalnum()) or 'xx'}.xml"
                write_bytes_atomic(self.folder / name, data)
                item.file, item.sequence_number = name, parsed.sequence_number
                item.issued, item.next_update = _iso(parsed.issued), _iso(parsed.next_update)
                if parsed.territory and parsed.territory != pointer.territory:
                    item.file = None
                    item.error = _("la liste se dit de {territory}").format(territory=parsed.territory)
            except AssistantError as exc:
                item.error = exc.message
            states.append(item)
        state = CacheState(lotl_url, now, states)
        self._write_state(state)
        return state

    # -- the question --------------------------------------------------------------------------
    def qualified_status(self, cert: x509.Certificate, moment: dt.datetime) -> QualifiedStatus:
        lists = self.lists()
        if not lists:
            return QualifiedStatus(False, reason=Finding(ListReason.NO_LISTS))
        for tl in lists:
            for service in tl.services:
                if not any(_issued_by(cert, ca) for ca in service.certificates):
                    continue
                return _judge(cert, moment, tl, service)
        return QualifiedStatus(False, reason=Finding(ListReason.ISSUER_NOT_LISTED))


def _verify_lotl(
    data: bytes,
    url: str,
    pins: list[x509.Certificate],
    announcement: Callable[[str], bool] | None,
    fetch: Any,
) -> Any:
    """The LOTL's parsed XML once its signature holds, directly or through the pivot LOTLs.

    When the Commission changes the certificates that sign the LOTL, it first publishes a *pivot*:
    a LOTL signed with a certificate already trusted whose pointer to itself names the new ones
    (ETSI TS 119 612 and the EU's pivot LOTL mechanism); the Official Journal publishes the new
    set later. The LOTL lists in its SchemeInformationURI the pivots, newest first, and the
    notices. The pivots newer than the pins' notice (listed before it) are followed oldest first:
    each must verify with the certificates trusted so far, and its pointer to itself gives those
    trusted for the next one. The URIs are read from the LOTL before its signature is checked,
    but only ever as places to fetch candidates: every certificate trusted comes from a list
    whose signature held with certificates already trusted.
    """
    try:
        return verify_list_signature(data, pins)
    except TrustedListError as direct:
        from assistant.signing import verify_xml

        try:
            unverified = parse_list(verify_xml.parse_xml(data), url)
        except Exception:
            raise direct from None
        uris = list(unverified.scheme_uris)
        if announcement is not None:
            notice = next((index for index, uri in enumerate(uris) if announcement(uri)), None)
            if notice is None:
                raise TrustedListError(
                    M_(
                        "La liste des listes (LOTL) ne cite plus la publication du Journal officiel dont viennent les certificats attendus : une nouvelle publication les a remplacés. Mettez l'assistant à jour, ou indiquez les nouveaux certificats (--lotl-cert)."
                    ),
                    code=SigningCode.TRUSTED_LIST_SIGNATURE,
                ) from direct
            uris = uris[:notice]
        pivots = [uri for uri in reversed(uris) if uri.lower().endswith(".xml") and uri != url]
        if not pivots:
            raise
        trusted = list(pins)
        for pivot_url in pivots:
            try:
                pivot = parse_list(
                    verify_list_signature(fetch(pivot_url, what=M_("liste des listes pivot")), trusted), pivot_url
                )
            except AssistantError:
                continue  # not signed by what is trusted so far (or unreachable): it introduces nothing
            announced = [
                cert for pointer in pivot.pointers if pointer.is_list_of_lists for cert in pointer.certificates
            ]
            if announced:
                trusted = announced
        return verify_list_signature(data, trusted)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """`ca` (a service's certificate) is the issuer of `cert`: same name, and same key if both say so."""
    if cert.issuer != ca.subject:
        return False
    aki: bytes | None = None
    ski: bytes | None = None
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
        ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        pass
    if aki is not None and ski is not None:
        return bool(aki == ski)
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, Exception):
        return False
    return True


def _judge(cert: x509.Certificate, moment: dt.datetime, tl: TrustedList, service: TrustService) -> QualifiedStatus:
    from dataclasses import replace

    from assistant.keystores.conformity import qc_info

    base = QualifiedStatus(
        False,
        territory=tl.territory,
        sequence_number=tl.sequence_number,
        service=service.name,
        provider=service.provider,
    )
    if service.type_uri != SERVICE_CA_QC:
        return replace(base, reason=Finding(ListReason.NOT_CA_QC))
    period = service.period_at(moment)
    if period is None:
        return replace(base, reason=Finding.of(ListReason.NOT_YET_LISTED, moment=f"{moment:%d/%m/%Y %H:%M}"))
    status = period.status.rstrip("/").rsplit("/", 1)[-1]
    base = replace(base, status=status)
    if period.status not in GRANTED:
        return replace(
            base, reason=Finding.of(ListReason.NOT_GRANTED, status=status, moment=f"{moment:%d/%m/%Y %H:%M}")
        )
    qualifiers: list[str] = []
    for names, criteria in period.qualifiers:
        if _criteria_match(cert, criteria):
            qualifiers.extend(n for n in names if n not in qualifiers)
    base = replace(base, qualifiers=tuple(qualifiers))
    qc, _malformed = qc_info(cert)
    if "NotQualified" in qualifiers:
        return replace(base, reason=Finding(ListReason.LISTED_NOT_QUALIFIED))
    if not qc.compliance and "QCStatement" not in qualifiers:
        return replace(base, reason=Finding(ListReason.NOT_DECLARED))
    for_esig = "QCForESig" in qualifiers or (qc.compliance and qc.esign) or period.for_esignatures
    if "QCForESeal" in qualifiers or "QCForWSA" in qualifiers:
        for_esig = "QCForESig" in qualifiers
    if not for_esig:
        return replace(base, reason=Finding(ListReason.NOT_FOR_ESIGNATURE))
    qscd: bool | None = None
    if {"QCWithSSCD", "QCWithQSCD", "QCQSCDManagedOnBehalf"} & set(qualifiers):
        qscd = True
    elif {"QCNoSSCD", "QCNoQSCD"} & set(qualifiers):
        qscd = False
    elif qc.sscd:
        qscd = True
    return replace(base, confirmed=True, qscd=qscd)


def _criteria_match(cert: x509.Certificate, criteria: Any) -> bool:
    """TS 119 612 5.5.9.2 CriteriaList: PolicySet and KeyUsage criteria, with all/atLeastOne/none."""
    if criteria is None:
        return True
    try:
        declared = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
        policies = {p.policy_identifier.dotted_string for p in declared}
    except x509.ExtensionNotFound:
        policies = set()
    results: list[bool] = []
    for child in criteria:
        if not isinstance(child.tag, str):
            continue
        local = child.tag.rsplit("}", 1)[-1]
        if local == "PolicySet":
            wanted = {(i.text or "").strip().removeprefix("urn:oid:") for i in child.iter(f"{{{XADES}}}Identifier")}
            results.append(bool(wanted) and wanted <= policies)
        elif local == "KeyUsage":
            results.append(_key_usage_match(cert, child))
        elif local == "CriteriaList":
            results.append(_criteria_match(cert, child))
    mode = str(criteria.get("assert", "all"))
    if not results:
        return mode != "none"
    if mode == "atLeastOne":
        return any(results)
    if mode == "none":
        return not any(results)
    return all(results)


def _key_usage_match(cert: x509.Certificate, node: Any) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    names = {
        "digitalSignature": "digital_signature",
        "nonRepudiation": "content_commitment",
        "keyEncipherment": "key_encipherment",
        "dataEncipherment": "data_encipherment",
        "keyAgreement": "key_agreement",
        "keyCertSign": "key_cert_sign",
        "crlSign": "crl_sign",
    }
    for bit in node.iter(f"{{{ECC}}}KeyUsageBit"):
        attr = names.get(bit.get("name", ""))
        if attr is None:
            return False
        try:
            actual = bool(getattr(usage, attr))
        except ValueError:  # encipher_only without key_agreement
            return False
        if actual != ((bit.text or "").strip() == "true"):
            return False
    return True
