/**
 * URL redaction for logs, events and errors. Feed URLs often carry credentials (userinfo, API
 * keys and tokens in the query), and anything that reaches a log or an error tracker must not.
 *
 * Pure; never throws.
 */

/** What an unparsable URL is reported as. */
export const UNPARSABLE_URL = '[unparsable url]';

/** What replaces a query value or a secret found in free text. */
export const REDACTED = '***';

/** Stands in for a whole text when redacting it failed unexpectedly: better lost than leaked. */
export const UNREDACTABLE_TEXT = '[unredactable text]';

function parse(url: string | URL): URL | undefined {
  try {
    // String() gives the href of a URL object, and copying means the caller's URL is never mutated.
    return new URL(String(url));
  } catch {
    return undefined;
  }
}

/** `key=value&flag` -> `key=***&flag`: every value masked, keys (and bare keys) kept verbatim. */
function maskQuery(query: string): string {
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? part : `${part.slice(0, eq)}=${REDACTED}`;
    })
    .join('&');
}

/**
 * The URL with userinfo removed, every query parameter value replaced by `***` (keys kept, in
 * order, repeated keys included) and the fragment removed. Accepts a string or a URL object
 * (never modified). Never throws: anything that does not parse as an absolute URL gives
 * `'[unparsable url]'`.
 *
 * @example redactUrl('wss://user:pass@host/ws?token=abc&x=1') // 'wss://host/ws?token=***&x=***'
 */
export function redactUrl(url: string | URL): string {
  const parsed = parse(url);
  if (parsed === undefined) return UNPARSABLE_URL;
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  if (parsed.search !== '') parsed.search = `?${maskQuery(parsed.search.slice(1))}`;
  return parsed.href;
}

function decodeComponent(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Adds `raw` and its percent-decoded forms (with and without `+` as space) to `into`. */
function addWithDecodings(into: Set<string>, raw: string): void {
  into.add(raw);
  for (const candidate of [raw, raw.replaceAll('+', ' ')]) {
    const decoded = decodeComponent(candidate);
    if (decoded !== undefined) into.add(decoded);
  }
}

/** Adds the value of every `key=value` in `params` (a query or fragment without its `?`/`#`). */
function addParamValues(into: Set<string>, params: string): void {
  for (const part of params.split('&')) {
    const eq = part.indexOf('=');
    if (eq >= 0) addWithDecodings(into, part.slice(eq + 1));
  }
}

/** Userinfo, query values and the fragment, as they appear in `parsed` and in the raw input. */
function collectSecrets(parsed: URL, raw: string): Set<string> {
  const secrets = new Set<string>();
  addWithDecodings(secrets, parsed.username);
  addWithDecodings(secrets, parsed.password);
  addParamValues(secrets, parsed.search.slice(1));
  // The raw input may spell values differently from the normalised URL (spaces, non-ASCII).
  const hashAt = raw.indexOf('#');
  const beforeHash = hashAt < 0 ? raw : raw.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  if (queryAt >= 0) addParamValues(secrets, beforeHash.slice(queryAt + 1));
  // A fragment can carry a token too (OAuth implicit flow): mask it whole and by value.
  const fragment = parsed.hash.slice(1);
  addWithDecodings(secrets, fragment);
  addParamValues(secrets, fragment);
  if (hashAt >= 0) addWithDecodings(secrets, raw.slice(hashAt + 1));
  secrets.delete('');
  return secrets;
}

const escapeRegExp = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Longest first, so a value that is a prefix of another never wins the alternation. */
const alternation = (literals: Iterable<string>) =>
  [...literals]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|');

/**
 * Redacts `text` (e.g. an error message from a WebSocket implementation) for the URL `url`:
 * every occurrence of the URL itself (as given, and normalised) becomes {@link redactUrl}'s
 * form, and every remaining occurrence of a secret from it (username, password, query values,
 * fragment; raw and percent-decoded) becomes `***`.
 *
 * A secret is only replaced where it stands alone, i.e. not directly preceded or followed by an
 * ASCII letter or digit: a value `1` masks "attempt 1" but leaves "code 1006" intact. An
 * unparsable `url` is replaced by `'[unparsable url]'`. Never throws.
 */
export function redactText(text: string, url: string | URL): string {
  try {
    const raw = String(url);
    const parsed = parse(url);
    if (parsed === undefined) return raw === '' ? text : text.replaceAll(raw, UNPARSABLE_URL);
    const wholes = new Set([raw, parsed.href].filter((form) => form !== ''));
    const secrets = collectSecrets(parsed, raw);
    let pattern = `(${alternation(wholes)})`;
    if (secrets.size > 0) pattern += `|(?<![A-Za-z0-9])(?:${alternation(secrets)})(?![A-Za-z0-9])`;
    const redacted = redactUrl(parsed);
    // One pass, so text already replaced is never scanned again for secrets.
    return text.replace(new RegExp(pattern, 'g'), (_match, whole: string | undefined) =>
      whole === undefined ? REDACTED : redacted,
    );
  } catch {
    return UNREDACTABLE_TEXT;
  }
}
