"""`assistant sign` as a user runs it: a real process, the PIN from an environment variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests import pki
from tests.signing.conftest import CrlPki, Tsa, fingerprint, make_pdf
from tests.signing.validators import openssl_cms_verify, xmlsec_verify


def _run(args: list[str], cwd: Path, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "ASSISTANT_HOME": str(home), **env}
    return subprocess.run(
        [sys.executable, "-m", "assistant", "sign", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
    )


def test_cli_json_lines_and_exit_code(tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki) -> None:
    folder = tmp_path / "Entreprises - Fichiers de reponse"
    folder.mkdir()
    good = folder / "Offre_Lot3.zip"
    good.write_bytes(b"PK\x03\x04" + os.urandom(5000))
    empty = folder / "vide.txt"
    empty.touch()
    done = _run(
        [
            "--format",
            "cades",
            "--key",
            str(test_pki.signer.files["p12"]),
            "--pin-env",
            "AMP_PIN",
            "--json",
            str(good),
            str(empty),
        ],
        tmp_path,
        assistant_home,
        AMP_PIN=pki.P12_PASSWORD,
    )
    assert done.returncode == 1, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["source"] for line in lines] == [str(good), str(empty)]
    assert lines[0]["format"] == "cades" and lines[0]["output"].endswith(" - Signature 1.p7s")
    assert "error" not in lines[0]
    assert lines[1]["output"] is None and lines[1]["error"]["code"] == "empty_file"
    assert openssl_cms_verify(Path(lines[0]["output"]), good, test_pki.ca_bundle).returncode == 0
    assert pki.P12_PASSWORD not in done.stdout + done.stderr


def test_cli_french_summary_like_the_confirmation_screen(
    tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki
) -> None:
    pdf = make_pdf(tmp_path / "0-Lettre informative.pdf")
    done = _run(
        ["--format", "pades", "--key", str(test_pki.signer.files["p12"]), "--pin-env", "AMP_PIN", str(pdf)],
        tmp_path,
        assistant_home,
        AMP_PIN=pki.P12_PASSWORD,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "La signature électronique des fichiers sélectionnés s'est terminée avec succès." in out
    assert "Nombre de fichiers à signer : 1" in out
    assert "Nombre de fichiers signés avec succès : 1" in out
    assert "Fichier source : 0-Lettre informative.pdf" in out
    assert "Format de signature : PADES" in out
    assert "Fichier généré : 0-Lettre informative - " in out and " - Signature 1.pdf" in out
    assert f"Répertoire de destination : {tmp_path}" in out
    assert "Signature du fichier 1 sur 1" in done.stderr


def test_cli_leading_dash_names_and_out_dir(tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki) -> None:
    source = tmp_path / "--help -rf.bin"
    source.write_bytes(os.urandom(3000))
    before = fingerprint(source)
    out = tmp_path / "signatures"
    out.mkdir()
    done = _run(
        [
            "--format",
            "xades",
            "--key",
            str(test_pki.signer.files["p12"]),
            "--pin-env",
            "AMP_PIN",
            "--out-dir",
            str(out),
            "--json",
            "--",
            source.name,
        ],
        tmp_path,
        assistant_home,
        AMP_PIN=pki.P12_PASSWORD,
    )
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout.strip())
    output = Path(line["output"])
    assert output.parent.resolve() == out.resolve() and output.name.startswith("--help -rf.bin - ")
    beside = tmp_path / output.name  # the signature travels with its file
    beside.write_bytes(output.read_bytes())
    verdict = xmlsec_verify(beside, test_pki.ca_bundle)
    assert verdict.returncode == 0, verdict.stderr
    assert fingerprint(source) == before


def test_cli_wrong_password_and_missing_variable(tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki) -> None:
    source = tmp_path / "a.txt"
    source.write_text("contenu")
    key = str(test_pki.signer.files["p12"])
    wrong = _run(
        ["--format", "cades", "--key", key, "--pin-env", "AMP_PIN", str(source)],
        tmp_path,
        assistant_home,
        AMP_PIN="not-the-password",
    )
    assert wrong.returncode != 0
    assert "AMP_PIN" in wrong.stderr + wrong.stdout and "refusé" in wrong.stderr + wrong.stdout
    assert "not-the-password" not in wrong.stderr + wrong.stdout
    missing = _run(["--format", "cades", "--key", key, "--pin-env", "AMP_NOPE", str(source)], tmp_path, assistant_home)
    assert missing.returncode != 0 and "AMP_NOPE" in missing.stderr
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".p7s"] == []


def test_cli_has_no_pin_option(tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki) -> None:
    """A PIN on the command line would sit in the shell history and in `ps`: there is no way to pass one."""
    done = _run(
        ["--format", "cades", "--key", str(test_pki.signer.files["p12"]), "--pin", "1234", "x"],
        tmp_path,
        assistant_home,
    )
    assert done.returncode == 2 and "--pin" in done.stderr


def test_cli_pkcs11_uri_key_from_softhsm(
    tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki, softhsm_token: pki.SoftHsmToken
) -> None:
    pdf = make_pdf(tmp_path / "Acte d'engagement.pdf")
    data = tmp_path / "DPGF.xlsx"
    data.write_bytes(os.urandom(4000))
    uri = softhsm_token.uri("signer")
    for fmt, source in (("pades", pdf), ("cades", data), ("xades", data)):
        done = _run(
            ["--format", fmt, "--key", uri, "--pin-env", "AMP_PIN", "--json", str(source)],
            tmp_path,
            assistant_home,
            AMP_PIN=softhsm_token.pin,
        )
        assert done.returncode == 0, done.stderr + done.stdout
        output = Path(json.loads(done.stdout.strip())["output"])
        if fmt == "cades":
            assert openssl_cms_verify(output, data, test_pki.ca_bundle).returncode == 0
        elif fmt == "xades":
            assert xmlsec_verify(output, test_pki.ca_bundle).returncode == 0
        else:
            assert output.name.endswith(" - Signature 1.pdf")


def test_cli_fingerprint_key_from_nss_database(
    tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki, nss_db: pki.NssDb
) -> None:
    from assistant.settings import Settings

    Settings(nss_databases=[str(nss_db.directory)], pkcs11_autodiscover=False).save()
    source = tmp_path / "Mémoire.odt"
    source.write_bytes(os.urandom(4000))
    fp = ":".join(test_pki.signer_ec.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    done = _run(
        ["--format", "cades", "--key", f"sha256:{fp}", "--pin-env", "AMP_PIN", "--json", str(source)],
        tmp_path,
        assistant_home,
        AMP_PIN=nss_db.password,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    output = Path(json.loads(done.stdout.strip())["output"])
    assert openssl_cms_verify(output, source, test_pki.ca_bundle).returncode == 0
    from asn1crypto import cms

    signer = cms.ContentInfo.load(output.read_bytes())["content"]["signer_infos"][0]
    serial = signer["sid"].chosen["serial_number"].native
    assert serial == test_pki.signer_ec.certificate.serial_number


def test_cli_prompts_once_on_the_terminal(tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki) -> None:
    """Without --pin-env the password is typed at a real terminal prompt (a pty), once for 3 files."""
    import pty
    import select
    import time

    files = []
    for i in range(3):
        path = tmp_path / f"Pièce {i}.txt"
        path.write_text(f"contenu {i}")
        files.append(str(path))
    argv = [
        sys.executable,
        "-m",
        "assistant",
        "sign",
        "--format",
        "cades",
        "--key",
        str(test_pki.signer.files["p12"]),
        "--json",
        *files,
    ]
    env = {**os.environ, "ASSISTANT_HOME": str(assistant_home)}
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty, as in a real shell
        os.execve(argv[0], argv, env)  # noqa: S606 - exec of our own interpreter, no shell wanted
    transcript = b""
    prompts = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            transcript += chunk
            if transcript.count(b"Mot de passe de signer.p12 :") > prompts:
                prompts += 1
                os.write(fd, (pki.P12_PASSWORD + "\n").encode())
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = transcript.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert prompts == 1, text
    assert pki.P12_PASSWORD not in text  # not echoed
    outputs = [json.loads(line)["output"] for line in text.splitlines() if line.startswith("{")]
    assert len(outputs) == 3 and all(o.endswith(" - Signature 1.p7s") for o in outputs)


def test_cli_pades_b_lt_with_trust_anchor(
    tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    from tests.signing.validators import pyhanko_validate

    key = tmp_path / "jean.p12"
    key.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"jean",
            crl_pki.good.key,
            crl_pki.good.certificate,
            [test_pki.ca.certificate],  # type: ignore[arg-type]
            BestAvailableEncryption(b"secret"),
        )
    )
    pdf = make_pdf(tmp_path / "Marché.pdf")
    done = _run(
        [
            "--format",
            "pades",
            "--level",
            "B-LT",
            "--tsa",
            tsa.url,
            "--trust",
            str(test_pki.root_pem),
            "--key",
            str(key),
            "--pin-env",
            "AMP_PIN",
            "--json",
            str(pdf),
        ],
        tmp_path,
        assistant_home,
        AMP_PIN="secret",
    )
    assert done.returncode == 0, done.stderr + done.stdout
    output = Path(json.loads(done.stdout.strip())["output"])
    assert crl_pki.fetched
    statuses = pyhanko_validate(output, test_pki)
    assert len(statuses) == 1 and statuses[0].trusted  # type: ignore[attr-defined]


def test_cli_json_even_when_the_whole_batch_is_refused(
    tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki
) -> None:
    """An expired certificate refuses the batch: --json still gives one object per file, in French."""
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for path in files:
        path.write_text("x")
    done = _run(
        [
            "--format",
            "xades",
            "--key",
            str(test_pki.expired.files["p12"]),
            "--pin-env",
            "AMP_PIN",
            "--json",
            *map(str, files),
        ],
        tmp_path,
        assistant_home,
        AMP_PIN=pki.P12_PASSWORD,
    )
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["source"] for line in lines] == [str(f) for f in files]
    assert all(line["output"] is None and line["error"]["code"] == "certificate_expired" for line in lines)
    assert "a expiré" in lines[0]["error"]["message"]


def test_verification_names_the_format_as_etsi_spells_it(
    tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki
) -> None:
    """The signing screen keeps the original's "PADES", but a verification names the format and
    level as ETSI does ("PAdES B-B"), in the terminal and in the saved report alike."""
    pdf = make_pdf(tmp_path / "Acte.pdf")
    done = _run(
        ["--format", "pades", "--key", str(test_pki.signer.files["p12"]), "--pin-env", "AMP_PIN", "--json", str(pdf)],
        tmp_path,
        assistant_home,
        AMP_PIN=pki.P12_PASSWORD,
    )
    assert done.returncode == 0, done.stderr
    signed = json.loads(done.stdout.strip())["output"]
    report = tmp_path / "rapport.html"
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "verify",
            "--trust",
            str(test_pki.root_pem),
            "--report",
            str(report),
            signed,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "ASSISTANT_HOME": str(assistant_home)},
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr + checked.stdout
    html = report.read_text(encoding="utf-8")
    for shown in (checked.stdout, html):
        assert "PAdES B-B" in shown and "PADES" not in shown, shown
