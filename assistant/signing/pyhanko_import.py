"""pyHanko's CMS validation modules without its package `__init__`s, which load the PDF signer.

`import pyhanko.sign.validation.generic_cms` first runs `pyhanko/sign/__init__.py`, which imports
the whole PDF signer (aiohttp, fonts, stamps, PKCS#11), then `pyhanko/sign/validation/__init__.py`,
which imports the PDF validator, and `pyhanko/sign/timestamps/__init__.py` (reached by reading a
timestamp token), which imports aiohttp: about 0.2 s of CPU (0.5 s and more on a loaded machine)
that a CAdES or XAdES verification never uses, paid at every start of `assistant verify`.

`import_module` registers those packages as *deferred*: their module object (path, spec) is
in place so that their submodules import normally, but their `__init__` runs only when a name is
first asked of the package (a module `__getattr__`). Afterwards they are ordinary packages:
`from pyhanko.sign import signers`, `from pyhanko.sign.validation import async_validate_pdf_signature`
and `pyhanko.sign.validation.dss` work as usual. Those `__init__`s only import names from their
submodules (no registration or other side effect); if the packages cannot be deferred (already
imported, a frozen importer without specs), the import is simply the ordinary one.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

#: Outermost first: a deferred package's spec is found through its parent's path.
DEFERRED_PACKAGES = ("pyhanko.sign", "pyhanko.sign.validation", "pyhanko.sign.timestamps")

_lock = threading.RLock()


def import_module(name: str) -> ModuleType:
    """`importlib.import_module(name)`, without running the `__init__`s of DEFERRED_PACKAGES."""
    defer_packages()
    return importlib.import_module(name)


def defer_packages() -> None:
    """Register DEFERRED_PACKAGES not imported yet as deferred (idempotent, a few milliseconds)."""
    with _lock:
        try:
            for package in DEFERRED_PACKAGES:
                if package not in sys.modules:
                    _defer(package)
        except Exception:  # an importer we cannot defer with: the ordinary import
            for package in DEFERRED_PACKAGES:
                module = sys.modules.get(package)
                if module is not None and "__getattr__" in vars(module):
                    _complete(module)


def _defer(name: str) -> None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        raise ImportError(f"cannot defer {name}")
    module = importlib.util.module_from_spec(spec)

    def __getattr__(attr: str) -> Any:  # the module attribute hook
        if not attr.startswith("__"):
            # A submodule (what `from package import submodule` asks for): imported as such,
            # without the package's __init__, as the real package would give it.
            try:
                found = importlib.util.find_spec(f"{name}.{attr}")
            except ImportError:
                found = None
            if found is not None:
                return importlib.import_module(f"{name}.{attr}")
        _complete(module)
        try:
            return vars(module)[attr]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)


def _complete(module: ModuleType) -> None:
    """Run the deferred package's own `__init__` in its module (once)."""
    with _lock:
        if vars(module).pop("__getattr__", None) is None:
            return  # completed by another caller
        spec = module.__spec__
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(module)
