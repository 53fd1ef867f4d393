/**
 * A failed certificate check, said so: which service, what the check found, and which setting
 * fixes it. Node reports these with OpenSSL codes (SELF_SIGNED_CERT_IN_CHAIN,
 * ERR_TLS_CERT_ALTNAME_INVALID …), Deno's TLS (rustls) in its own words (UnknownIssuer,
 * NotValidForName); both are recognised.
 */

const CHAIN_CODES: ReadonlySet<string> = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REJECTED",
]);
const CHAIN_WORDS =
  /UnknownIssuer|BadSignature|self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|certificate has expired|certificate is not yet valid|invalid peer certificate/i;
const NAME_WORDS =
  /ERR_TLS_CERT_ALTNAME_INVALID|NotValidForName|Hostname\/IP does not match|does not match certificate's altnames|not valid for name/i;

export interface TlsService {
  /** "PostgreSQL", "Redis". */
  service: string;
  /** Where the trusted CA is set: "sslrootcert in DATABASE_URL or PGSSLROOTCERT". */
  caSetting: string;
  /** How to live with a name the certificate lacks, if there is a way. */
  nameHint: string;
}

function* chain(error: unknown): Generator<{ code?: unknown; message?: unknown }> {
  const seen = new Set<unknown>();
  for (
    let e = error;
    e && typeof e === "object" && !seen.has(e);
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    yield e as { code?: unknown; message?: unknown };
  }
}

/** A one-line explanation when `error` is a failed certificate check, else undefined. */
export function describeTlsFailure(error: unknown, service: TlsService): string | undefined {
  for (const e of chain(error)) {
    const code = typeof e.code === "string" ? e.code : "";
    const message = typeof e.message === "string" ? e.message : "";
    const detail = code && !message.includes(code) ? `${code}: ${message}` : message;
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || NAME_WORDS.test(message)) {
      return `TLS: the ${service.service} server's certificate does not name the host connected ` +
        `to (${detail}); connect by a name the certificate holds, or ${service.nameHint}`;
    }
    if (CHAIN_CODES.has(code) || CHAIN_WORDS.test(message)) {
      return `TLS: the ${service.service} server's certificate could not be verified ` +
        `(${detail}); set ${service.caSetting} to the CA certificate that signed it`;
    }
  }
  return undefined;
}

export const POSTGRES_TLS: TlsService = {
  service: "PostgreSQL",
  caSetting: "sslrootcert in DATABASE_URL (or PGSSLROOTCERT)",
  nameHint: "use sslmode=verify-ca to check the CA only",
};

export const REDIS_TLS: TlsService = {
  service: "Redis",
  caSetting: "REDIS_TLS_CA_PATH",
  nameHint: "set REDIS_TLS_SERVER_NAME to the name it holds",
};
