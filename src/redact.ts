/**
 * Secrets in connection URLs must never reach logs or error messages: this replaces the
 * password (and an API-key-like query parameter) of every URL found in a text.
 */
/**
 * `scheme://user:password@`, and the shapes a mistyped URL takes, which an error echoes when
 * the value does not parse: `scheme:/user:pw@`, `scheme//user:pw@`, `user:pw@host` without a
 * scheme. The password runs to the last `@` before a space or quote, so one holding `/` or
 * `@` is hidden whole.
 */
const URL_WITH_CREDENTIALS = /((?:[a-z][a-z0-9+.-]*:)?\/{0,2})([^\s:@/"'`]*):([^\s"'`]*)@/gi;
const SECRET_PARAMS =
  /([?&](?:password|pass|pwd|secret|token|api[_-]?key|sslpassword)=)[^&\s"'`]*/gi;

export function redact(text: string): string {
  return text
    .replace(URL_WITH_CREDENTIALS, (_m, prefix: string, user: string) => `${prefix}${user}:***@`)
    .replace(SECRET_PARAMS, (_m, key: string) => `${key}***`);
}

/** Redacts a list of known secret values too (e.g. an API key read from the environment). */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = redact(text);
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("***");
  }
  return out;
}
