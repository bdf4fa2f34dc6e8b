"""Descriptor validation: what a page may ask is decided here, before any job exists."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from assistant.jobs.descriptor import (
    DescriptorError,
    LocalOnlyFieldError,
    UrlNotAllowedError,
    UrlPolicy,
    parse_descriptor,
)
from assistant.jobs.model import JobType
from assistant.settings import Settings

ORIGIN = "https://marches.example.fr"
SHA = "ab" * 32


def download(**overrides: Any) -> dict[str, Any]:
    file = {"name": "offre.zip.p7m", "url": f"{ORIGIN}/f/1", "size": 10, "sha256": SHA}
    descriptor: dict[str, Any] = {
        "version": 1,
        "type": "download",
        "token": "tok-123",
        "params": {
            "consultations": [{"id": "C1", "plis": [{"id": "P1", "envelopes": [{"id": "E1", "files": [file]}]}]}]
        },
    }
    descriptor.update(overrides)
    return descriptor


def file_of(descriptor: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = descriptor["params"]["consultations"][0]["plis"][0]["envelopes"][0]["files"][0]
    return result


def test_valid_descriptor_splits_off_the_token() -> None:
    parsed = parse_descriptor(download(), ORIGIN)
    assert parsed.type is JobType.DOWNLOAD
    assert parsed.token == "tok-123"
    assert "tok-123" not in repr(parsed.params)


@pytest.mark.parametrize(
    ("mutate", "field", "code"),
    [
        (lambda d: d.update(extra=1), "extra", "descriptor_unknown_field"),
        (lambda d: d.update(version="1"), "version", "descriptor_invalid"),
        (lambda d: d.update(version=2), "version", "descriptor_version"),
        (lambda d: d.update(type="format_disk"), "type", "descriptor_invalid"),
        (
            lambda d: file_of(d).update(size="10"),
            "params.consultations[0].plis[0].envelopes[0].files[0].size",
            "descriptor_invalid",
        ),
        (
            lambda d: file_of(d).update(size=True),
            "params.consultations[0].plis[0].envelopes[0].files[0].size",
            "descriptor_invalid",
        ),
        (
            lambda d: file_of(d).update(sha256="zz"),
            "params.consultations[0].plis[0].envelopes[0].files[0].sha256",
            "descriptor_invalid",
        ),
        (
            lambda d: file_of(d).update(name="../../.bashrc"),
            "params.consultations[0].plis[0].envelopes[0].files[0].name",
            "descriptor_unsafe_name",
        ),
        (
            lambda d: file_of(d).update(name="a/b"),
            "params.consultations[0].plis[0].envelopes[0].files[0].name",
            "descriptor_unsafe_name",
        ),
        (
            lambda d: file_of(d).update(name="CON.txt"),
            "params.consultations[0].plis[0].envelopes[0].files[0].name",
            "descriptor_unsafe_name",
        ),
        (
            lambda d: file_of(d).update(colour="red"),
            "params.consultations[0].plis[0].envelopes[0].files[0].colour",
            "descriptor_unknown_field",
        ),
        (
            lambda d: d["params"]["consultations"][0].update(id=".."),
            "params.consultations[0].id",
            "descriptor_unsafe_name",
        ),
        (lambda d: d["params"].pop("consultations"), "params.descriptor_url", "descriptor_invalid"),
    ],
)
def test_bad_fields_are_named(mutate: Any, field: str, code: str) -> None:
    descriptor = download()
    mutate(descriptor)
    with pytest.raises(DescriptorError) as info:
        parse_descriptor(descriptor, ORIGIN)
    assert info.value.field == field
    assert info.value.code == code
    assert info.value.message_fr.startswith("Descripteur de traitement refusé")
    assert "tok-123" not in info.value.message_fr


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/f",
        "https://marches.example.fr.evil.example/f",
        "https://marches.example.fr:8443/f",
        "http://marches.example.fr/f",
        "https://user:pw@marches.example.fr/f",
        "file:///etc/passwd",
        "http://127.0.0.1:9/f",
    ],
)
def test_urls_outside_the_origin_are_refused(url: str) -> None:
    descriptor = download()
    file_of(descriptor)["url"] = url
    with pytest.raises(UrlNotAllowedError):
        parse_descriptor(descriptor, ORIGIN, loopback_http=False)


def test_allowed_hosts_from_settings() -> None:
    descriptor = download()
    file_of(descriptor)["url"] = "https://stockage.example.net/f"
    with pytest.raises(UrlNotAllowedError):
        parse_descriptor(descriptor, ORIGIN)
    parse_descriptor(descriptor, ORIGIN, Settings(allowed_hosts=["stockage.example.net"]))


def test_plain_http_only_to_loopback_in_demo_mode() -> None:
    origin = "http://127.0.0.1:8080"
    descriptor = download()
    file_of(descriptor)["url"] = "http://127.0.0.1:8080/f"
    with pytest.raises(UrlNotAllowedError):
        parse_descriptor(descriptor, origin, loopback_http=False)
    parse_descriptor(descriptor, origin, loopback_http=True)
    file_of(descriptor)["url"] = "http://10.0.0.1:8080/f"
    with pytest.raises(UrlNotAllowedError):
        parse_descriptor(descriptor, origin, loopback_http=True)


@pytest.mark.parametrize(
    ("descriptor", "field"),
    [
        (
            {"version": 1, "type": "download", "params": {"descriptor_url": f"{ORIGIN}/d", "destination": "/tmp/x"}},
            "params.destination",
        ),
        (
            {
                "version": 1,
                "type": "open",
                "params": {"descriptor_url": f"{ORIGIN}/d", "key": "pkcs11:token=x?module-path=/tmp/evil.so"},
            },
            "params.key",
        ),
        (
            {"version": 1, "type": "sign", "params": {"paths": ["/home/u/secret.pdf"], "format": "pades"}},
            "params.paths",
        ),
        (  # a page cannot make the workstation trust its own authority (only the user's settings do)
            {
                "version": 1,
                "type": "verify",
                "params": {
                    "files": [{"name": "offre.pdf", "url": f"{ORIGIN}/offre.pdf", "size": 10, "sha256": "0" * 64}],
                    "trust": ["/tmp/page-root.pem"],
                },
            },
            "params.trust",
        ),
        ({"version": 1, "type": "decrypt", "params": {"folder": "/tmp"}}, "type"),
        (
            {
                "version": 1,
                "type": "keygen",
                "params": {"name": "x", "store": "pkcs11:token=a?module-path=/tmp/evil.so"},
            },
            "params.store",
        ),
    ],
)
def test_pages_cannot_name_local_paths_or_keys(descriptor: dict[str, Any], field: str) -> None:
    with pytest.raises(LocalOnlyFieldError) as info:
        parse_descriptor(descriptor, ORIGIN)
    assert info.value.field == field
    parse_descriptor(copy.deepcopy(descriptor), "local")  # the user himself may


def test_origin_normalisation() -> None:
    policy = UrlPolicy.for_origin("https://Marches.Example.fr", None)
    assert policy.check("https://marches.example.fr:443/x", "u")
    assert policy.check("https://MARCHES.example.fr/x", "u")
