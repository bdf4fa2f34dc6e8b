"""PyInstaller runtime hook (build.spec): pyHanko without aiohttp, in the bundle.

pyHanko imports aiohttp unconditionally in two places the assistant never runs:
`pyhanko.sign.timestamps` re-exports `HTTPTimeStamper` from its aiohttp client (we timestamp through
our own `TsaClient`, assistant/signing/timestamp.py, over the assistant's one transport), and
`pyhanko.sign.validation.ades` imports the aiohttp fetcher backend (we always hand pyHanko our
`TransportFetcherBackend`, assistant/signing/pyhanko_fetchers.py). aiohttp and what it pulls in
(yarl, multidict, frozenlist, aiosignal, propcache, aiohappyeyeballs) are ~9 MB of the bundle, so
build.spec leaves them out and this hook, run before the assistant, puts stand-ins for those two
modules in sys.modules: importing them works, using them raises a clear error (a code path that
would have bypassed the assistant's transport: never silently). When aiohttp is there (the venv,
a build that keeps it) nothing is done. tests/package proves timestamps work in the bundle.
"""

import importlib.util
import sys
import types

_STAND_INS = {
    "pyhanko.sign.timestamps.aiohttp_client": "HTTPTimeStamper",
    "pyhanko_certvalidator.fetchers.aiohttp_fetchers": "AIOHttpFetcherBackend",
}


def _absent(*args: object, **kwargs: object) -> None:
    raise RuntimeError(
        "aiohttp n'est pas inclus dans l'assistant : ce chemin de pyHanko n'est pas utilisé "
        "(horodatage et récupération de révocation passent par le transport de l'assistant)."
    )


def install() -> bool:
    """Register the stand-ins when aiohttp cannot be imported; True if it did."""
    if importlib.util.find_spec("aiohttp") is not None:
        return False
    for name, attribute in _STAND_INS.items():
        if name in sys.modules:
            continue
        module = types.ModuleType(
            name, "Stand-in: aiohttp is not in this build (installers/pyi_rth_pyhanko_without_aiohttp.py)."
        )
        setattr(module, attribute, type(attribute, (), {"__init__": _absent, "__module__": name}))
        module.__all__ = [attribute]  # type: ignore[attr-defined]
        sys.modules[name] = module
    return True


install()
