"""RFC 7512 URIs and module discovery from p11-kit's registry (pure logic, real files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.keystores.pkcs11.modules import ModuleSource, discover_modules, p11kit_modules, parse_module_file
from assistant.keystores.pkcs11.uri import Pkcs11Uri, UriError


def test_parse_rfc7512_examples() -> None:
    uri = Pkcs11Uri.parse(
        "pkcs11:token=Carte%20ChamberSign;manufacturer=Idopte;object=Signature%20qualifi%C3%A9e;"
        "id=%01%02;type=private?module-path=/usr/lib/libidop11.so"
    )
    assert uri.token == "Carte ChamberSign"
    assert uri.manufacturer == "Idopte"
    assert uri.object == "Signature qualifiée"
    assert uri.id == b"\x01\x02"
    assert uri.type == "private"
    assert uri.module_path == "/usr/lib/libidop11.so"
    assert Pkcs11Uri.parse(str(uri)) == uri


def test_unknown_attributes_are_kept_but_ignored() -> None:
    uri = Pkcs11Uri.parse("pkcs11:token=T;x-vendor=1")
    assert uri.token == "T"
    assert uri.other == {"x-vendor": "1"}


@pytest.mark.parametrize(
    "text",
    ["token=T", "pkcs11:token", "pkcs11:token=a;token=b", "pkcs11:type=banana", "pkcs11:slot-id=abc"],
)
def test_malformed_uris_are_refused_in_french(text: str) -> None:
    with pytest.raises(UriError) as info:
        Pkcs11Uri.parse(text)
    assert info.value.message_fr.startswith("Adresse PKCS#11 invalide")


def test_a_pin_in_a_uri_is_refused() -> None:
    with pytest.raises(UriError) as info:
        Pkcs11Uri.parse("pkcs11:token=T?pin-value=1234")
    assert "PIN" in info.value.message_fr
    assert "1234" not in info.value.message_fr


def test_matching() -> None:
    uri = Pkcs11Uri.parse("pkcs11:token=T;object=sig")
    assert uri.matches_token(label="T")
    assert not uri.matches_token(label="U")
    assert uri.matches_object(label="sig", id=b"\x01")
    assert not uri.matches_object(label="enc", id=b"\x01")
    assert Pkcs11Uri.parse("pkcs11:").matches_token(label="anything")


def test_p11kit_module_files_are_read_like_p11kit(tmp_path: Path) -> None:
    system = tmp_path / "system"
    user = tmp_path / "user"
    system.mkdir()
    user.mkdir()
    (system / "opensc.module").write_text("# OpenSC\nmodule: opensc-pkcs11.so\n")
    (system / "trust.module").write_text("module: p11-kit-trust.so\ntrust-policy: yes\n")
    (system / "only-firefox.module").write_text("module: /opt/x.so\nenable-in: firefox\n")
    (system / "card.module").write_text("module: /usr/lib/system-card.so\n")
    (user / "card.module").write_text("module: /home/u/card.so\n")  # the user's file wins
    found = {m.name: m for m in p11kit_modules([system, user])}
    assert set(found) == {"opensc", "card"}
    assert found["card"].path == "/home/u/card.so"
    assert found["opensc"].path.endswith("/opensc-pkcs11.so")
    assert found["opensc"].source is ModuleSource.P11KIT
    assert parse_module_file("Module : a.so\n# c\n") == {"module": "a.so"}


def test_the_installed_softhsm_is_discovered_through_p11kit() -> None:
    from tests import pki

    real = Path(pki.softhsm_module()).resolve()
    modules = discover_modules()
    assert any(Path(m.path).resolve() == real for m in modules)
    assert not any(Path(m.path).name == "p11-kit-trust.so" for m in modules)
    # each file once, even when p11-kit and the well-known paths both name it
    resolved = [Path(m.path).resolve() for m in modules]
    assert len(resolved) == len(set(resolved))
