"""Assistant Marchés Publics: open desktop companion for French public procurement.

This module must stay import-free: `assistant --version` goes through it and has to answer
without loading Qt or any crypto library.
"""

__version__ = "0.1.0"
APP_NAME = "Assistant Marchés Publics"
APP_ID = "assistant-marches-publics"
PROTOCOL_VERSION = 1

__all__ = ["APP_ID", "APP_NAME", "PROTOCOL_VERSION", "__version__"]
