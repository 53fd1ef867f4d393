/**
 * Secrets in connection URLs must never reach logs or error messages, and user names must stay
 * (`role "nouser" does not exist` is useless with the user hidden). URLs in a text are redacted
 * by parsing them: the user name is kept verbatim, the password becomes `***`, and so does the
 * value of every secret-looking query parameter. Text that is not a URL (a mistyped one an
 * error echoes) goes through a fallback that errs on the side of hiding.
 *
 * Why not re-serialise the parsed URL: `new URL` normalises (case, trailing slash, encoding),
 * and a message should show what the user wrote. The parse decides where the parts are; the
 * original text is edited in place.
 */

/** `scheme://` followed by everything up to whitespace, a quote or an angle bracket. */
const URL_TOKEN = /[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]*/gi;

/**
 * Mistyped shapes without `://`: `scheme:/user:pw@`, `scheme//user:pw@`, `user:pw@host`. The
 * password runs to the last `@` before a space or quote, so one holding `/` or `@` is hidden
 * whole; it never starts with `/` (that is `scheme:/…`, a scheme, not a user).
 */
const LOOSE_CREDENTIALS = /((?:[a-z][a-z0-9+.-]*:)?\/{0,2})([^\s:@/"'`]*):(?!\/)([^\s"'`]*)@/gi;

const SECRET_PARAMS = /([?&;])([^=&#\s"'`]*)=([^&#\s"'`]*)/g;

/** Query parameter names whose values are secrets (compared lower-case, decoded). */
export function isSecretParam(name: string): boolean {
  const key = name.toLowerCase();
  return /(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|credentials?)$/.test(key) ||
    key === "pass" || key === "auth" || key === "sslpassword";
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}

function redactParams(text: string): string {
  return text.replace(
    SECRET_PARAMS,
    (match, sep: string, key: string) => isSecretParam(decoded(key)) ? `${sep}${key}=***` : match,
  );
}

function parses(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * One `scheme://…` token. Its user information is what precedes the last `@` that comes before
 * the query (`?`) and fragment (`#`), or the last `@` at all when the text does not parse as a
 * URL (a raw `/`, `@` or `:` in a password makes it unparseable, or parse as something else:
 * `postgres://u:12/ss@host` reads as host `u`, port 12). A raw `?` or `#` in a password cannot
 * be told from a query: percent-encode it, as URLs require.
 */
function redactUrl(token: string): string {
  const start = token.indexOf("://") + 3;
  const rest = token.slice(start);
  const queryAt = rest.search(/[?#]/);
  const head = parses(token) && queryAt >= 0 ? rest.slice(0, queryAt) : rest;
  const at = head.lastIndexOf("@");
  let out = token;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(":");
    if (colon >= 0) {
      out = `${token.slice(0, start)}${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
    }
  }
  return redactParams(out);
}

export function redact(text: string): string {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(URL_TOKEN)) {
    out += redactLoose(text.slice(last, match.index));
    out += redactUrl(match[0]);
    last = match.index + match[0].length;
  }
  return out + redactLoose(text.slice(last));
}

function redactLoose(text: string): string {
  if (!text.includes("@") && !/[?&;]/.test(text)) return text;
  return redactParams(
    text.replace(LOOSE_CREDENTIALS, (_m, prefix: string, user: string) => `${prefix}${user}:***@`),
  );
}

/**
 * The password of a connection URL as it is written in the text (between the user's `:` and
 * the last `@` of the user information), for `redactSecrets`: a value known to be secret is
 * hidden wherever it appears, even where no URL surrounds it. Null when there is none.
 */
export function urlPassword(url: string | undefined): string | null {
  if (!url) return null;
  const match = /^[a-z][a-z0-9+.-]*:\/\/(.*)$/is.exec(url);
  if (!match) return null;
  const rest = match[1]!;
  const at = rest.lastIndexOf("@");
  if (at < 0) return null;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(":");
  return colon >= 0 && colon < userinfo.length - 1 ? userinfo.slice(colon + 1) : null;
}

/** Redacts a list of known secret values too (e.g. an API key read from the environment). */
export function redactSecrets(
  text: string,
  secrets: readonly (string | null | undefined)[],
): string {
  let out = redact(text);
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("***");
  }
  return out;
}
