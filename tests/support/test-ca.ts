/**
 * A private certificate authority made with the openssl command line, for TLS tests: a CA
 * certificate and key, and server certificates it signs for given host names and addresses.
 * Short-lived (2 days) EC P-256 keys: quick to make, never valid for anything else.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface CertificateAuthority {
  certFile: string;
  keyFile: string;
}

export interface ServerCertificate {
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: Uint8Array }).stderr;
    throw new Error(
      `openssl ${args.join(" ")} failed: ${stderr ? new TextDecoder().decode(stderr) : ""}` +
        " (openssl must be installed: scripts/services.sh checks it)",
      { cause: error },
    );
  }
}

/** A new CA in `dir` (files `<name>.crt`, `<name>.key`). */
export function makeCertificateAuthority(dir: string, name: string): CertificateAuthority {
  fs.mkdirSync(dir, { recursive: true });
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  return { certFile, keyFile };
}

/**
 * A certificate signed by `ca` for the given names: `IP:127.0.0.1`, `DNS:localhost` (files
 * `<name>.crt`, `<name>.key` in `dir`; the key readable by its owner only).
 */
export function issueCertificate(
  ca: CertificateAuthority,
  dir: string,
  name: string,
  subjectAltNames: readonly string[],
  usage: "serverAuth" | "clientAuth" = "serverAuth",
): ServerCertificate {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(
    ext,
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      `extendedKeyUsage=${usage}`,
      ...(subjectAltNames.length > 0 ? [`subjectAltName=${subjectAltNames.join(",")}`] : []),
    ].join("\n") + "\n",
  );
  openssl([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    csr,
    "-subj",
    `/CN=${name}`,
  ], dir);
  openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-CAcreateserial",
    "-out",
    certFile,
    "-days",
    "2",
    "-extfile",
    ext,
  ], dir);
  fs.chmodSync(keyFile, 0o600);
  return { certFile, keyFile };
}
