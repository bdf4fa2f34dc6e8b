""" "Préparer mon dépôt" on a bid of realistic size: 2 lots x (10 one-megabyte PDFs + 10 one-megabyte
spreadsheets) + a ZIP of 5 PDFs, signed with one .p12 key: the scan (each PDF and ZIP opened to
check it can be signed), then signing, the buyer's verification of every signature and the
summary. Reference: the same documents signed by `sign_files` alone, one batch per format.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import zipfile
from io import BytesIO
from pathlib import Path


def _pdf(path: Path, size: int = 1 << 20) -> Path:
    """A one-page PDF carrying an incompressible stream, like a scanned page."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter()
    stream = generic.StreamObject(stream_data=os.urandom(size))
    box = generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)])
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): box,
                generic.NameObject("/Contents"): writer.add_object(stream),
            }
        )
    )
    buffer = BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _bid(root: Path) -> None:
    for lot in ("Lot 1", "Lot 2"):
        folder = root / lot / "Offre"
        folder.mkdir(parents=True)
        for i in range(10):
            _pdf(folder / f"Pièce {i}.pdf")
            (folder / f"Annexe {i}.xlsx").write_bytes(os.urandom(1 << 20))
    inner = root.parent / "inner"
    inner.mkdir()
    with zipfile.ZipFile(root / "Lot 1" / "Offre" / "Plans.zip", "w") as archive:
        for i in range(5):
            archive.write(_pdf(inner / f"plan{i}.pdf", 200_000), f"plan{i}.pdf")


def main() -> dict[str, object]:
    os.environ.setdefault("ASSISTANT_HOME", tempfile.mkdtemp(prefix="bench-prepare-home-"))
    from assistant.keystores.pkcs12 import Pkcs12Store
    from assistant.prepare.plan import make_plan
    from assistant.prepare.rules import PlatformRules
    from assistant.prepare.scan import scan_bid
    from assistant.prepare.workflow import prepare_deposit
    from assistant.signing.batch import sign_files
    from tests import pki

    work = Path(tempfile.mkdtemp(prefix="bench-prepare-"))
    try:
        test_pki = pki.make_pki(work / "pki")
        root = work / "Réponse"
        _bid(root)
        store = Pkcs12Store(test_pki.signer.files["p12"], lambda _request: pki.P12_PASSWORD)
        credential = store.credentials()[0]
        anchors = [test_pki.root.certificate, test_pki.ca.certificate]

        start = time.perf_counter()
        plan = make_plan(scan_bid(root), PlatformRules())
        scanned = time.perf_counter()
        outcome = prepare_deposit(plan, credential, work / "dépôt", trust_roots=anchors)
        done = time.perf_counter()

        reference_out = work / "reference"
        reference_out.mkdir()
        pdfs = sorted(root.rglob("*.pdf"))
        others = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".pdf")
        ref_start = time.perf_counter()
        sign_files(credential, pdfs, "pades", out_dir=reference_out)
        sign_files(credential, others, "xades", out_dir=reference_out)
        ref_done = time.perf_counter()
        store.close()
        return {
            "files": len(plan.files),
            "documents_in_zip": sum(len(p.file.members) for p in plan.files),
            "megabytes": round(sum(p.file.size for p in plan.files) / 1e6, 1),
            "scan_seconds": round(scanned - start, 2),
            "prepare_seconds": round(done - scanned, 2),
            "accepted": f"{sum(v.ok for v in outcome.views)}/{len(outcome.views)}",
            "reference_sign_files_seconds": round(ref_done - ref_start, 2),
            "load_average": round(os.getloadavg()[0], 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2, ensure_ascii=False))
