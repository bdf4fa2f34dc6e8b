"""Recipients for the envelope tests: the PKI's bi-clé plus four other buyers' bi-clés."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.keystores.base import Credential, PinRequest
from assistant.keystores.pkcs12 import Pkcs12Store
from tests import pki as pki_mod


@dataclass
class Recipients:
    ours: pki_mod.Issued  # test_pki.encryption: the bi-clé also in SoftHSM (id 03) and NSS
    others: list[pki_mod.Issued]  # four other bi-clés (another buyer, the "bi-clé de secours", ...)

    def certs(self, count: int, *, ours_at: int = -1) -> list[Path]:
        """`count` recipient certificates, ours among them at position `ours_at` (last by default)."""
        chosen = [o.files["cert"] for o in self.others[: count - 1]]
        position = len(chosen) if ours_at < 0 else ours_at
        chosen.insert(position, self.ours.files["cert"])
        return chosen


@pytest.fixture(scope="session")
def recipients(test_pki: pki_mod.TestPki, tmp_path_factory: pytest.TempPathFactory) -> Recipients:
    folder = tmp_path_factory.mktemp("recipients")
    usage = {"key_encipherment", "data_encipherment"}
    others = [
        pki_mod.write_files(
            pki_mod.issue(f"other{i}", f"Clé de déchiffrement de Acheteur {i}", test_pki.ca, key_usage=usage), folder
        )
        for i in range(1, 5)
    ]
    return Recipients(test_pki.encryption, others)


def p12_password(request: PinRequest) -> str:
    return pki_mod.P12_PASSWORD


@pytest.fixture
def p12_credentials(test_pki: pki_mod.TestPki) -> list[Credential]:
    return Pkcs12Store(test_pki.encryption.files["p12"], p12_password).credentials()
