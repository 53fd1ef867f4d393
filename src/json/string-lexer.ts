/**
 * JSON tokens of a document already in memory as a string (a JSON Lines line, a calc input),
 * for the strict builder: the same tokens @streamparser/json's byte tokenizer gives a stream,
 * about four times faster on short records (string tokens are sliced, not decoded byte by
 * byte), which keeps JSON Lines imports as fast as they were with JSON.parse. Escapes are
 * decoded by JSON.parse on the string literal alone, so lone surrogates survive for the
 * schema to refuse, as they do in the byte tokenizer.
 */
import { TokenType } from "@streamparser/json";
import { JsonSyntaxError } from "./strict-builder.ts";

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export type TokenSink = (token: TokenType, value: unknown, offset: number) => void;

function describe(text: string, at: number): string {
  const c = text.codePointAt(at)!;
  return c < 0x20 || c === 0x7f
    ? `U+${c.toString(16).toUpperCase().padStart(4, "0")}`
    : JSON.stringify(String.fromCodePoint(c));
}

/** Calls `push` for every token of `text`; offsets are character offsets. */
export function lexJson(text: string, push: TokenSink): void {
  const end = text.length;
  let at = 0;
  // A byte-order mark some editors write.
  if (text.charCodeAt(0) === 0xfeff) at = 1;
  while (at < end) {
    const c = text.charCodeAt(at);
    switch (c) {
      case 0x20:
      case 0x09:
      case 0x0a:
      case 0x0d:
        at++;
        continue;
      case 0x7b: // {
        push(TokenType.LEFT_BRACE, "{", at++);
        continue;
      case 0x7d:
        push(TokenType.RIGHT_BRACE, "}", at++);
        continue;
      case 0x5b: // [
        push(TokenType.LEFT_BRACKET, "[", at++);
        continue;
      case 0x5d:
        push(TokenType.RIGHT_BRACKET, "]", at++);
        continue;
      case 0x3a: // :
        push(TokenType.COLON, ":", at++);
        continue;
      case 0x2c: // ,
        push(TokenType.COMMA, ",", at++);
        continue;
      case 0x22: { // "
        const start = at;
        let escaped = false;
        at++;
        for (;;) {
          if (at >= end) throw new JsonSyntaxError("the input ends inside a string", start);
          const s = text.charCodeAt(at);
          if (s === 0x22) break;
          if (s === 0x5c) {
            escaped = true;
            at += 2;
            continue;
          }
          if (s < 0x20) {
            throw new JsonSyntaxError(
              `unescaped control character ${describe(text, at)} in a string`,
              at,
            );
          }
          at++;
        }
        at++;
        let value: string;
        if (!escaped) value = text.slice(start + 1, at - 1);
        else {
          try {
            value = JSON.parse(text.slice(start, at)) as string;
          } catch {
            throw new JsonSyntaxError("a bad escape sequence in a string", start);
          }
        }
        push(TokenType.STRING, value, start);
        continue;
      }
      case 0x74: // true
        if (text.startsWith("true", at)) {
          push(TokenType.TRUE, true, at);
          at += 4;
          continue;
        }
        break;
      case 0x66:
        if (text.startsWith("false", at)) {
          push(TokenType.FALSE, false, at);
          at += 5;
          continue;
        }
        break;
      case 0x6e:
        if (text.startsWith("null", at)) {
          push(TokenType.NULL, null, at);
          at += 4;
          continue;
        }
        break;
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          NUMBER.lastIndex = at;
          const m = NUMBER.exec(text);
          if (m) {
            const after = text.charCodeAt(at + m[0].length);
            // "01", "1.", "1e": JSON numbers end at a delimiter, never at another digit or dot.
            if (
              !(after >= 0x30 && after <= 0x39) && after !== 0x2e && after !== 0x65 &&
              after !== 0x45
            ) {
              push(TokenType.NUMBER, m[0], at);
              at += m[0].length;
              continue;
            }
          }
        }
    }
    throw new JsonSyntaxError(`unexpected ${describe(text, at)}`, at);
  }
}
