"""Test PKI: a CA and end-entity certificates, and the real stores made from them.

Certificates are built with `cryptography` (so every extension is under control); the stores are
made with the real tools a user's machine has: `openssl pkcs12` for .p12 files, `softhsm2-util` and
`pkcs11-tool` for the smart card (SoftHSM2), `certutil`/`pk12util` for the NSS database.
A missing tool fails the test loudly (see `require_tool`): nothing here ever skips.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

P12_PASSWORD = "p12-secret"
TOKEN_PIN = "123456"
TOKEN_SO_PIN = "87654321"
TOKEN_LABEL = "amp-test-token"
NSS_PASSWORD = "nss-secret"

SOFTHSM_MODULE_CANDIDATES = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
]

OID_QC_STATEMENTS = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3")
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_SSCD = "0.4.0.1862.1.4"
QC_TYPE = "0.4.0.1862.1.6"
QC_TYPE_ESIGN = "0.4.0.1862.1.6.1"


class MissingToolError(RuntimeError):
    pass


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise MissingToolError(
            f"{name} is required by the tests and is not installed: run `make test` "
            "(installers/dev/setup.sh installs it)"
        )
    return path


def softhsm_module() -> str:
    for candidate in SOFTHSM_MODULE_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    raise MissingToolError("libsofthsm2.so not found: install the softhsm2 Debian package (make test does)")


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    require_tool(cmd[0])
    result = subprocess.run(cmd, capture_output=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {result.stderr.decode(errors='replace')}")
    return result  # type: ignore[no-any-return]


class _QcStatement(core.Sequence):
    _fields = [("statement_id", core.ObjectIdentifier), ("statement_info", core.Any, {"optional": True})]


class _QcStatements(core.SequenceOf):
    _child_spec = _QcStatement


class _OidSeq(core.SequenceOf):
    _child_spec = core.ObjectIdentifier


def qc_statements_der(esign: bool = True, sscd: bool = True) -> bytes:
    statements = [{"statement_id": QC_COMPLIANCE}]
    if sscd:
        statements.append({"statement_id": QC_SSCD})
    if esign:
        statements.append({"statement_id": QC_TYPE, "statement_info": _OidSeq([QC_TYPE_ESIGN])})
    return _QcStatements(statements).dump()


@dataclass
class Issued:
    """A certificate with its key, written to disk in the forms the tools want."""

    name: str
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    issuer: Issued | None = None
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def chain(self) -> list[Issued]:
        chain: list[Issued] = []
        node = self.issuer
        while node is not None:
            chain.append(node)
            node = node.issuer
        return chain


def new_key(kind: str = "rsa", size: int = 2048) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


def _name(cn: str, org: str = "Assistant Marchés Publics Tests") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def issue(
    name: str,
    cn: str,
    issuer: Issued | None,
    *,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
    ca: bool = False,
    key_usage: set[str] | None = None,
    eku: list[x509.ObjectIdentifier] | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    qc: bool = False,
    policies: list[str] | None = None,
    ocsp_url: str | None = None,
    crl_url: str | None = None,
) -> Issued:
    """Issue a certificate (self-signed when `issuer` is None)."""
    key = key or new_key()
    now = dt.datetime.now(dt.UTC)
    not_before = not_before or now - dt.timedelta(days=1)
    not_after = not_after or now + dt.timedelta(days=365 * (10 if ca else 2))
    subject = _name(cn)
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.certificate.subject if issuer else subject
    usages = key_usage if key_usage is not None else ({"key_cert_sign", "crl_sign"} if ca else {"non_repudiation"})
    ku_args = {
        k: (k in usages)
        for k in (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
        )
    }
    ku_args["content_commitment"] = "non_repudiation" in usages or "content_commitment" in usages
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(encipher_only=False, decipher_only=False, **ku_args), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if qc:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(OID_QC_STATEMENTS, qc_statements_der()), critical=False
        )
    if policies:
        builder = builder.add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(p), None) for p in policies]),
            critical=False,
        )
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                    )
                ]
            ),
            critical=False,
        )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
            ),
            critical=False,
        )
    cert = builder.sign(signer_key, hashes.SHA256())  # type: ignore[arg-type]
    return Issued(name, cert, key, issuer)


def write_files(item: Issued, folder: Path, p12_password: str = P12_PASSWORD) -> Issued:
    """Write cert.pem, cert.der, key.pem, chain.pem and a .p12 (made by `openssl pkcs12`)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = item.files
    files["cert"] = folder / f"{item.name}.pem"
    files["cert"].write_bytes(item.cert_pem)
    files["der"] = folder / f"{item.name}.der"
    files["der"].write_bytes(item.cert_der)
    files["key"] = folder / f"{item.name}.key.pem"
    files["key"].write_bytes(item.key_pem())
    files["key"].chmod(0o600)
    chain = item.chain()
    if chain:
        files["chain"] = folder / f"{item.name}.chain.pem"
        files["chain"].write_bytes(b"".join(c.cert_pem for c in chain))
        files["p12"] = folder / f"{item.name}.p12"
        cmd = [
            "openssl",
            "pkcs12",
            "-export",
            "-inkey",
            str(files["key"]),
            "-in",
            str(files["cert"]),
            "-certfile",
            str(files["chain"]),
            "-name",
            item.name,
            "-out",
            str(files["p12"]),
            "-passout",
            f"pass:{p12_password}",
        ]
        run(cmd)
    return item


@dataclass
class TestPki:
    """The whole test PKI: root, issuing CA and the end-entity certificates tests need."""

    folder: Path
    root: Issued
    ca: Issued
    signer: Issued  # qualified RSA signature certificate (nonRepudiation + QCStatements)
    signer_ec: Issued  # ECDSA P-256 signature certificate (not qualified)
    encryption: Issued  # RSA keyEncipherment certificate (a bi-clé)
    auth_only: Issued  # digitalSignature + clientAuth only
    expired: Issued  # signature certificate expired yesterday

    @property
    def root_pem(self) -> Path:
        return self.root.files["cert"]

    @property
    def ca_bundle(self) -> Path:
        """Root + issuing CA, the only trust anchors of the validators."""
        return self.folder / "ca-bundle.pem"


def make_pki(folder: Path) -> TestPki:
    folder.mkdir(parents=True, exist_ok=True)
    root = write_files(issue("root", "AMP Test Root CA", None, ca=True, key=new_key(size=3072)), folder)
    ca = write_files(issue("ca", "AMP Test Qualified CA", root, ca=True), folder)
    now = dt.datetime.now(dt.UTC)
    signer = issue(
        "signer",
        "Jeanne Dupont",
        ca,
        key_usage={"non_repudiation"},
        qc=True,
        policies=["1.2.250.1.219.1.1.3.1"],
    )
    signer_ec = issue(
        "signer_ec", "Élise Martin (ECDSA)", ca, key=new_key("ec"), key_usage={"non_repudiation", "digital_signature"}
    )
    encryption = issue(
        "encryption",
        "Clé de déchiffrement de Acheteur Test",
        ca,
        key_usage={"key_encipherment", "data_encipherment"},
    )
    auth_only = issue(
        "auth_only",
        "Paul Durand (authentification)",
        ca,
        key_usage={"digital_signature"},
        eku=[ExtendedKeyUsageOID.CLIENT_AUTH],
    )
    expired = issue(
        "expired",
        "Ancien Signataire",
        ca,
        key_usage={"non_repudiation"},
        not_before=now - dt.timedelta(days=800),
        not_after=now - dt.timedelta(days=1),
    )
    for item in (signer, signer_ec, encryption, auth_only, expired):
        write_files(item, folder)
    pki = TestPki(folder, root, ca, signer, signer_ec, encryption, auth_only, expired)
    pki.ca_bundle.write_bytes(root.cert_pem + ca.cert_pem)
    return pki


# --------------------------------------------------------------------------------------------
# SoftHSM2: the smart card of the tests


@dataclass
class SoftHsmToken:
    module: str
    conf: Path
    label: str
    pin: str
    so_pin: str

    def uri(self, object_label: str | None = None) -> str:
        from urllib.parse import quote

        uri = f"pkcs11:token={quote(self.label)}"
        if object_label:
            uri += f";object={quote(object_label)}"
        return uri + f"?module-path={quote(self.module)}"

    def env(self) -> dict[str, str]:
        return {"SOFTHSM2_CONF": str(self.conf)}


def make_softhsm(folder: Path, label: str = TOKEN_LABEL, pin: str = TOKEN_PIN) -> SoftHsmToken:
    """A fresh SoftHSM2 configuration with one initialised token (SOFTHSM2_CONF points at it)."""
    require_tool("softhsm2-util")
    module = softhsm_module()
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", TOKEN_SO_PIN], env=env)
    return SoftHsmToken(module, conf, label, pin, TOKEN_SO_PIN)


def import_into_softhsm(token: SoftHsmToken, item: Issued, object_id: str, *, with_key: bool = True) -> None:
    """Put a key pair and its certificate on the token, as a card issuer would (key not extractable)."""
    env = {**os.environ, **token.env()}
    if with_key:
        run(
            [
                "softhsm2-util",
                "--import",
                str(item.files["key"]),
                "--token",
                token.label,
                "--label",
                item.name,
                "--id",
                object_id,
                "--pin",
                token.pin,
            ],
            env=env,
        )
    run(
        [
            "pkcs11-tool",
            "--module",
            token.module,
            "--token-label",
            token.label,
            "--login",
            "--pin",
            token.pin,
            "--write-object",
            str(item.files["der"]),
            "--type",
            "cert",
            "--id",
            object_id,
            "--label",
            item.name,
        ],
        env=env,
    )


# --------------------------------------------------------------------------------------------
# NSS: the Linux OS store


@dataclass
class NssDb:
    directory: Path
    password: str

    @property
    def spec(self) -> str:
        return f"sql:{self.directory}"


def make_nss_db(
    folder: Path, items: list[Issued], trust_anchor: Issued | None = None, password: str = NSS_PASSWORD
) -> NssDb:
    """A real NSS shared database (cert9.db/key4.db) with the given credentials imported by pk12util."""
    require_tool("certutil")
    require_tool("pk12util")
    folder.mkdir(parents=True, exist_ok=True)
    pwfile = folder / ".pw"
    pwfile.write_text(password + "\n")
    try:
        run(["certutil", "-N", "-d", f"sql:{folder}", "-f", str(pwfile)])
        for item in items:
            run(
                ["pk12util", "-i", str(item.files["p12"]), "-d", f"sql:{folder}", "-W", P12_PASSWORD, "-k", str(pwfile)]
            )
        if trust_anchor is not None:
            run(
                [
                    "certutil",
                    "-A",
                    "-d",
                    f"sql:{folder}",
                    "-n",
                    trust_anchor.name,
                    "-t",
                    "C,C,C",
                    "-i",
                    str(trust_anchor.files["cert"]),
                    "-f",
                    str(pwfile),
                ]
            )
    finally:
        pwfile.unlink(missing_ok=True)
    return NssDb(folder, password)
