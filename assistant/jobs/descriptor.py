"""Strict validation of job descriptors (protocol version 1).

A descriptor is the self-contained JSON a platform hands the assistant: what to do, the files as
URLs with their size and SHA-256, where to send results, and a bearer token for this job alone
(see docs/protocol.md). Everything a web page sends passes through here before a job exists, so
the rules are enforced in one place:

- unknown fields and wrong types are errors naming the field (``params.consultations[0].plis[1].id``);
- every URL is on the origin that queued the job, or on a host the user allowed in the settings;
- HTTPS only; plain HTTP only to 127.0.0.1 in demo/test mode;
- fields naming local paths or keys are accepted only from the local origin (the user's own
  CLI/UI): a page can never make the assistant read or write a path it chose, nor pick a key;
- the token is split off: it never reaches `Job.params`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assistant import PROTOCOL_VERSION
from assistant.errors import Code
from assistant.i18n import M_
from assistant.jobs.errors import JobCode
from assistant.jobs.model import JOB_KINDS, LOCAL_ORIGIN, JobType
from assistant.jobs.names import lone_surrogate_paths, normalise_name, unsafe_name_reason
from assistant.jobs.params import (
    JobParams,
)
from assistant.jobs.urls import DEMO_ENV as DEMO_ENV
from assistant.jobs.urls import DescriptorError as DescriptorError
from assistant.jobs.urls import UrlNotAllowedError as UrlNotAllowedError
from assistant.jobs.urls import UrlPolicy as UrlPolicy
from assistant.jobs.urls import demo_mode_enabled as demo_mode_enabled
from assistant.jobs.urls import normalize_origin as normalize_origin
from assistant.jobs.urls import origin_of_url as origin_of_url
from assistant.settings import Settings

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
MAX_FILES = 100_000


class LocalOnlyFieldError(DescriptorError):
    code: str = JobCode.LOCAL_ONLY_FIELD


# --------------------------------------------------------------------------------------------
# Small schema toolkit: each checker returns the cleaned value or raises DescriptorError(field).

Checker = Callable[[Any, str], Any]


@dataclass
class _Ctx:
    policy: UrlPolicy
    local: bool


def _obj(value: Any, where: str, required: Mapping[str, Checker], optional: Mapping[str, Checker]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise DescriptorError(where or "descripteur", M_("un objet JSON est attendu."))
    out: dict[str, Any] = {}
    for key in value:
        if not isinstance(key, str) or (key not in required and key not in optional):
            raise DescriptorError(_join(where, str(key)), M_("champ inconnu."), code=Code.DESCRIPTOR_UNKNOWN_FIELD)
    for key, checker in required.items():
        if key not in value:
            raise DescriptorError(_join(where, key), M_("champ obligatoire absent."))
        out[key] = checker(value[key], _join(where, key))
    for key, checker in optional.items():
        if key in value:
            out[key] = checker(value[key], _join(where, key))
    return out


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _str(max_len: int = 500) -> Checker:
    def check(value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise DescriptorError(where, M_("du texte est attendu."))
        if len(value) > max_len:
            raise DescriptorError(where, M_("texte trop long."))
        return value

    return check


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise DescriptorError(where, M_("un booléen est attendu."))
    return value


def _int(minimum: int = 0, maximum: int = 2**53) -> Checker:
    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise DescriptorError(where, M_("un entier est attendu."))
        if not minimum <= value <= maximum:
            raise DescriptorError(
                where, M_("valeur hors limites ({minimum}..{maximum}).", minimum=minimum, maximum=maximum)
            )
        return value

    return check


def _choice(*choices: str) -> Checker:
    def check(value: Any, where: str) -> str:
        if not isinstance(value, str) or value not in choices:
            raise DescriptorError(where, M_("valeur attendue parmi : {join}.", join=", ".join(choices)))
        return value

    return check


def _list(item: Checker, *, min_len: int = 0, max_len: int = MAX_FILES) -> Checker:
    def check(value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise DescriptorError(where, M_("une liste est attendue."))
        if not min_len <= len(value) <= max_len:
            raise DescriptorError(
                where,
                M_("la liste doit compter de {min_len} à {max_len} éléments.", min_len=min_len, max_len=max_len),
            )
        return [item(v, f"{where}[{i}]") for i, v in enumerate(value)]

    return check


def safe_name(value: Any, where: str) -> str:
    """A name that becomes one path component, checked as it will be used (see jobs/names.py)."""
    if not isinstance(value, str):
        raise DescriptorError(where, M_("un nom non vide est attendu."))
    name = normalise_name(value)
    if not name:
        raise DescriptorError(where, M_("un nom non vide est attendu."))
    if unsafe_name_reason(name) is not None:
        raise DescriptorError(
            where,
            M_("nom de fichier ou de dossier dangereux ou invalide."),
            code=JobCode.DESCRIPTOR_UNSAFE_NAME,
        )
    return name


def _sha256(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _HEX64.match(value):
        raise DescriptorError(where, M_("empreinte SHA-256 (64 caractères hexadécimaux) attendue."))
    return value.lower()


def _local_only(checker: Checker, ctx: _Ctx) -> Checker:
    def check(value: Any, where: str) -> Any:
        if not ctx.local:
            raise LocalOnlyFieldError(
                where,
                M_("ce champ (chemin local ou clé) n'est accepté que de l'utilisateur lui-même, pas d'une page web."),
            )
        return checker(value, where)

    return check


def _path(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value or "\x00" in value:
        raise DescriptorError(where, M_("un chemin est attendu."))
    return value


# --------------------------------------------------------------------------------------------
# Descriptor shapes


def _file(ctx: _Ctx, *, upload: str = "no") -> Checker:
    """A remote file; `upload` is "no", "optional" or "required" for its `upload_url`."""

    def check(value: Any, where: str) -> dict[str, Any]:
        required: dict[str, Checker] = {
            "name": safe_name,
            "url": ctx.policy.check,
            "size": _int(0, 2**50),
            "sha256": _sha256,
        }
        optional: dict[str, Checker] = {"id": _str(200), "label": _str(300), "content_type": _str(200)}
        if upload == "required":
            required["upload_url"] = ctx.policy.check
        elif upload == "optional":
            optional["upload_url"] = ctx.policy.check
        return _obj(value, where, required, optional)

    return check


def _envelope(ctx: _Ctx, upload: str) -> Checker:
    def check(value: Any, where: str) -> dict[str, Any]:
        return _obj(
            value,
            where,
            {"id": safe_name, "files": _list(_file(ctx, upload=upload), min_len=1)},
            {"label": _str(300), "kind": _str(100)},
        )

    return check


def _pli(ctx: _Ctx, upload: str) -> Checker:
    def check(value: Any, where: str) -> dict[str, Any]:
        return _obj(
            value,
            where,
            {"id": safe_name, "envelopes": _list(_envelope(ctx, upload), min_len=1)},
            {"label": _str(300), "company": _str(300)},
        )

    return check


def _consultation(ctx: _Ctx, upload: str = "no") -> Checker:
    def check(value: Any, where: str) -> dict[str, Any]:
        return _obj(
            value,
            where,
            {"id": safe_name, "plis": _list(_pli(ctx, upload), min_len=1)},
            {"label": _str(300), "reference": _str(200)},
        )

    return check


def _params_for(job_type: JobType, ctx: _Ctx) -> tuple[dict[str, Checker], dict[str, Checker]]:
    def lo(checker: Checker) -> Checker:
        return _local_only(checker, ctx)

    if job_type is JobType.DOWNLOAD:
        return {}, {
            "descriptor_url": ctx.policy.check,
            "consultations": _list(_consultation(ctx), min_len=1, max_len=1000),
            "destination": lo(_path),
            "connections": _int(1, 16),
        }
    if job_type is JobType.OPEN:
        return {}, {
            "descriptor_url": ctx.policy.check,
            "consultation": _consultation(ctx, upload="required"),
            "key": lo(_str(2000)),
            "keep_decrypted_in": lo(_path),
        }
    if job_type is JobType.SIGN:
        return {}, {
            "files": _list(_file(ctx, upload="required"), min_len=1, max_len=1000),
            "paths": lo(_list(_path, min_len=1, max_len=1000)),
            "format": _choice("pades", "cades", "xades"),
            "level": _choice("B-B", "B-T"),
            "out_dir": lo(_path),
            "key": lo(_str(2000)),
        }
    if job_type is JobType.VERIFY:
        return {}, {
            "files": _list(_file(ctx), min_len=1, max_len=1000),
            "paths": lo(_list(_path, min_len=1, max_len=1000)),
            "detached_of": lo(_path),
            "report_url": ctx.policy.check,
            "trust": lo(_list(_path, min_len=1, max_len=100)),
        }
    if job_type is JobType.KEYGEN:
        return {"name": _str(200)}, {
            "cn": _str(200),
            "upload_url": ctx.policy.check,
            "key_size": _int(2048, 4096),
            "store": lo(_str(2000)),
            "from_store": _bool,
            "backup": lo(_path),
        }
    if job_type is JobType.DECRYPT:
        return {"folder": lo(_path)}, {"out_dir": lo(_path), "key": lo(_str(2000)), "extract": _bool}
    if job_type is JobType.PREPARE:
        return {}, {
            "deposit_rules": _deposit_rules(ctx),
            "level": _choice("B-B", "B-T"),
            "folder": lo(_path),
            "out_dir": lo(_path),
            "key": lo(_str(2000)),
        }
    if job_type is JobType.DIAGNOSE:
        return {}, {"platform_url": ctx.policy.check}
    # A type added to jobs.model.JOB_KINDS without its parameters' schema here: refuse, never guess.
    raise DescriptorError("type", M_("type de traitement non pris en charge."), code=JobCode.DESCRIPTOR_INVALID)


def _deposit_rules(ctx: _Ctx) -> Checker:
    """A platform's deposit rules, checked by the module that reads them (formats, extensions,
    sizes, name rules, a deadline with its time zone; the upload-test URL under this policy)."""

    def check(value: Any, where: str) -> dict[str, Any]:
        from assistant.prepare.rules import parse_rules  # prepare.rules uses this module's checks

        parse_rules(value, ctx.policy, where)
        return dict(value)

    return check


#: The parameters' class of each job type: validated JSON becomes one of these (JSON stops here).
PARAMS_TYPES: dict[JobType, type[JobParams]] = {job_type: kind.params for job_type, kind in JOB_KINDS.items()}


@dataclass(frozen=True)
class ParsedDescriptor:
    type: JobType
    params: JobParams
    token: str | None = None
    label: str = ""
    platform: str = ""


def parse_descriptor(
    descriptor: Mapping[str, Any],
    origin: str,
    settings: Settings | None = None,
    *,
    expected_type: JobType | None = None,
    loopback_http: bool | None = None,
) -> ParsedDescriptor:
    """Validate a descriptor queued by `origin`; raises DescriptorError naming the bad field."""
    policy = UrlPolicy.for_origin(origin, settings, loopback_http=loopback_http)
    ctx = _Ctx(policy=policy, local=policy.origin == LOCAL_ORIGIN)
    if not isinstance(descriptor, Mapping):
        raise DescriptorError("descripteur", M_("un objet JSON est attendu."))
    for where in lone_surrogate_paths(descriptor):
        # A lone surrogate cannot be encoded in UTF-8: it would break the journal and every answer.
        raise DescriptorError(
            where,
            M_("texte Unicode invalide (substitut isolé)."),
            code=JobCode.DESCRIPTOR_INVALID_UNICODE,
        )
    head = _obj(
        descriptor,
        "",
        {"version": _int(1, 1000), "type": _choice(*[t.value for t in JobType])},
        {"label": _str(300), "token": _str(4096), "platform": safe_name, "params": lambda v, w: v},
    )
    if head["version"] != PROTOCOL_VERSION:
        raise DescriptorError(
            "version",
            M_(
                "version {head} non prise en charge (attendue : {protocol_version}).",
                head=head["version"],
                protocol_version=PROTOCOL_VERSION,
            ),
            code=JobCode.DESCRIPTOR_VERSION,
        )
    job_type = JobType(head["type"])
    if expected_type is not None and job_type is not expected_type:
        raise DescriptorError("type", M_("type « {value} » attendu.", value=expected_type.value))
    if job_type is JobType.DECRYPT and not ctx.local:
        raise LocalOnlyFieldError(
            "type",
            M_("le déchiffrement hors ligne ne se lance que depuis l'assistant."),
        )
    required, optional = _params_for(job_type, ctx)
    params = _obj(head.get("params", {}), "params", required, optional)
    _check_alternatives(job_type, params, ctx)
    return ParsedDescriptor(
        type=job_type,
        params=PARAMS_TYPES[job_type].from_json(params),
        token=head.get("token"),
        label=head.get("label", ""),
        platform=head.get("platform", ""),
    )


def _check_alternatives(job_type: JobType, params: dict[str, Any], ctx: _Ctx) -> None:
    """Exactly one source of work: inline content, a descriptor URL, or (locally) paths."""
    groups = {
        JobType.DOWNLOAD: ("descriptor_url", "consultations"),
        JobType.OPEN: ("descriptor_url", "consultation"),
        JobType.SIGN: ("files", "paths"),
        JobType.VERIFY: ("files", "paths"),
    }
    names = groups.get(job_type)
    if not names:
        return
    present = [n for n in names if n in params]
    if len(present) != 1:
        raise DescriptorError(
            f"params.{names[0]}",
            M_("indiquez exactement un des champs : {join}.", join=", ".join(names)),
        )
    if job_type is JobType.SIGN and "format" not in params:
        raise DescriptorError("params.format", M_("champ obligatoire absent."))
