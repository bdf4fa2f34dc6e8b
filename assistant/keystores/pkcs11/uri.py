"""RFC 7512 PKCS#11 URIs: `pkcs11:token=My%20Card;object=Signature;id=%01?module-path=/usr/lib/x.so`.

Parsing is strict about what we act on (unknown path attributes are kept but ignored, as the RFC
asks) and refuses what we must never act on: a `pin-value` in a URI would put a PIN in a file,
a log or a page, so it is rejected outright.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, unquote_to_bytes

from assistant.errors import UsageError
from assistant.i18n import M_, Message
from assistant.keystores.errors import KeyStoreCode

PATH_ATTRIBUTES = {
    "token",
    "manufacturer",
    "serial",
    "model",
    "library-manufacturer",
    "library-description",
    "library-version",
    "object",
    "type",
    "id",
    "slot-description",
    "slot-manufacturer",
    "slot-id",
}
QUERY_ATTRIBUTES = {"module-name", "module-path", "pin-source", "pin-value"}
_TYPES = {"cert", "private", "public", "secret-key", "data"}


class UriError(UsageError):
    code: str = KeyStoreCode.PKCS11_URI


def _bad(reason: Message) -> UriError:
    return UriError(M_("Adresse PKCS#11 invalide : {reason}", reason=reason))


@dataclass(frozen=True)
class Pkcs11Uri:
    token: str | None = None
    manufacturer: str | None = None
    serial: str | None = None
    model: str | None = None
    library_description: str | None = None
    library_manufacturer: str | None = None
    object: str | None = None
    type: str | None = None
    id: bytes | None = None
    slot_id: int | None = None
    module_path: str | None = None
    module_name: str | None = None
    other: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Pkcs11Uri:
        if not text.lower().startswith("pkcs11:"):
            raise _bad(M_("elle doit commencer par « pkcs11: »"))
        body = text[len("pkcs11:") :]
        path, _, query = body.partition("?")
        values: dict[str, bytes] = {}
        for part, separator, allowed in ((path, ";", PATH_ATTRIBUTES), (query, "&", QUERY_ATTRIBUTES)):
            for item in filter(None, part.split(separator)):
                name, eq, raw_value = item.partition("=")
                name = name.strip().lower()
                if not eq or not name:
                    raise _bad(M_("élément « {item} » sans valeur", item=item))
                if name == "pin-value":
                    raise _bad(M_("un code PIN ne doit jamais figurer dans une adresse"))
                if name in values:
                    raise _bad(M_("« {name} » apparaît deux fois", name=name))
                values[name] = unquote_to_bytes(raw_value)
                if name not in allowed:
                    values.setdefault(f"x-{name}", values.pop(name))

        def text_of(name: str) -> str | None:
            value = values.get(name)
            return None if value is None else value.decode("utf-8", errors="strict")

        try:
            type_ = text_of("type")
            if type_ is not None and type_ not in _TYPES:
                raise _bad(M_("type « {type} » inconnu", type=type_))
            slot = text_of("slot-id")
            return cls(
                token=text_of("token"),
                manufacturer=text_of("manufacturer"),
                serial=text_of("serial"),
                model=text_of("model"),
                library_description=text_of("library-description"),
                library_manufacturer=text_of("library-manufacturer"),
                object=text_of("object"),
                type=type_,
                id=values.get("id"),
                slot_id=int(slot) if slot is not None else None,
                module_path=text_of("module-path"),
                module_name=text_of("module-name"),
                other={k[2:]: v.decode("utf-8", "replace") for k, v in values.items() if k.startswith("x-")},
            )
        except UnicodeDecodeError as exc:
            raise _bad(M_("texte mal encodé")) from exc
        except ValueError as exc:
            if isinstance(exc, UriError):
                raise
            raise _bad(M_("slot-id doit être un nombre")) from exc

    def __str__(self) -> str:
        parts: list[str] = []
        for name, value in (
            ("library-description", self.library_description),
            ("library-manufacturer", self.library_manufacturer),
            ("manufacturer", self.manufacturer),
            ("model", self.model),
            ("serial", self.serial),
            ("token", self.token),
            ("object", self.object),
            ("type", self.type),
        ):
            if value is not None:
                parts.append(f"{name}={quote(value, safe='')}")
        if self.id is not None:
            parts.append("id=" + "".join(f"%{b:02X}" for b in self.id))
        if self.slot_id is not None:
            parts.append(f"slot-id={self.slot_id}")
        uri = "pkcs11:" + ";".join(parts)
        query = []
        if self.module_name:
            query.append(f"module-name={quote(self.module_name, safe='')}")
        if self.module_path:
            query.append(f"module-path={quote(self.module_path, safe='/')}")
        return uri + ("?" + "&".join(query) if query else "")

    # -- matching ------------------------------------------------------------------------

    def matches_token(self, *, label: str, manufacturer: str = "", model: str = "", serial: str = "") -> bool:
        return (
            (self.token is None or self.token == label)
            and (self.manufacturer is None or self.manufacturer == manufacturer)
            and (self.model is None or self.model == model)
            and (self.serial is None or self.serial == serial)
        )

    def matches_object(self, *, label: str, id: bytes) -> bool:
        return (self.object is None or self.object == label) and (self.id is None or self.id == id)

    def without_module(self) -> Pkcs11Uri:
        from dataclasses import replace

        return replace(self, module_path=None, module_name=None)
