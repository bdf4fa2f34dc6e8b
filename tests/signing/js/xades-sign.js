// Signs a file with xadesjs (a XAdES implementation the assistant did not write), for the
// verification corpus. Usage:
//   node xades-sign.js MODE KEY.pk8.der CERT.der ALG HASH C14N IN OUT [SIGNING-CERT.der]
// SIGNING-CERT: the certificate SigningCertificateV2 names (default CERT; another one makes a
// signature whose XML-DSig holds but whose XAdES signing certificate is wrong).
// MODE: enveloped (IN is XML, the signature goes inside) | detached (IN is any file, referenced by name)
// ALG: RSASSA-PKCS1-v1_5 | ECDSA; HASH: SHA-256 | SHA-512; C14N: c14n | exc-c14n
"use strict";
const fs = require("fs");
const path = require("path");
const { webcrypto } = require("crypto");
const xadesjs = require("xadesjs");
const { DOMParser, XMLSerializer } = require("@xmldom/xmldom");

xadesjs.Application.setEngine("NodeJS", webcrypto);
xadesjs.setNodeDependencies({ DOMParser, XMLSerializer, xpath: require("xpath") });

async function main() {
  const [mode, keyPath, certPath, alg, hash, c14n, input, output, namedPath] = process.argv.slice(2);
  const keyParams = alg === "ECDSA" ? { name: "ECDSA", namedCurve: "P-256" } : { name: alg, hash };
  const key = await webcrypto.subtle.importKey("pkcs8", fs.readFileSync(keyPath), keyParams, false, ["sign"]);
  const cert = fs.readFileSync(certPath).toString("base64");
  const signAlg = alg === "ECDSA" ? { name: "ECDSA", hash } : { name: alg };
  const options = {
    x509: [cert],
    signingCertificateV2: {
      certificate: namedPath ? fs.readFileSync(namedPath).toString("base64") : cert,
      digestAlgorithm: hash,
    },
    signingTime: { value: new Date() },
  };
  const signed = new xadesjs.SignedXml();
  if (mode === "enveloped") {
    const doc = new DOMParser().parseFromString(fs.readFileSync(input, "utf8"), "application/xml");
    options.references = [{ uri: "", hash, transforms: ["enveloped", c14n] }];
    const signature = await signed.Sign(signAlg, key, doc, options);
    doc.documentElement.appendChild(signature.GetXml());
    fs.writeFileSync(output, new XMLSerializer().serializeToString(doc));
  } else {
    options.references = [{ uri: encodeURIComponent(path.basename(input)), hash }];
    const signature = await signed.Sign(signAlg, key, new Uint8Array(fs.readFileSync(input)), options);
    fs.writeFileSync(output, '<?xml version="1.0" encoding="UTF-8"?>' + signature.toString());
  }
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
