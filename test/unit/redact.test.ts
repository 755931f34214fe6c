import { describe, expect, it } from 'vitest';
import { REDACTED, UNPARSABLE_URL, UNREDACTABLE_TEXT, redactText, redactUrl } from '../../src/redact.js';

describe('redactUrl', () => {
  it('removes userinfo and masks every query value', () => {
    expect(redactUrl('wss://user:pass@host/ws?token=abc&x=1')).toBe('wss://host/ws?token=***&x=***');
  });

  it('masks percent-encoded values and keeps encoded keys verbatim', () => {
    expect(redactUrl('wss://host/ws?token=a%2Bb%3D%3D&sig=x%20y')).toBe('wss://host/ws?token=***&sig=***');
    expect(redactUrl('wss://host/ws?my%20key=1&caf%C3%A9=2')).toBe('wss://host/ws?my%20key=***&caf%C3%A9=***');
  });

  it('masks every value of a repeated key, keeping order', () => {
    expect(redactUrl('https://host/stream?s=a&s=b&t=1&s=c')).toBe('https://host/stream?s=***&s=***&t=***&s=***');
  });

  it('masks empty values and keeps bare keys and empty parts', () => {
    expect(redactUrl('wss://host/ws?a=&flag&&b=2')).toBe('wss://host/ws?a=***&flag&&b=***');
  });

  it('masks only up to the first = of a part: the rest belongs to the value', () => {
    expect(redactUrl('wss://host/ws?sig=abc==&jwt=x.y=z')).toBe('wss://host/ws?sig=***&jwt=***');
  });

  it('leaves a URL without query, userinfo or fragment as its normal form', () => {
    expect(redactUrl('wss://stream.binance.com:9443/ws/btcusdt@trade')).toBe(
      'wss://stream.binance.com:9443/ws/btcusdt@trade',
    );
    expect(redactUrl('wss://host')).toBe('wss://host/');
  });

  it('removes a username alone and a password alone', () => {
    expect(redactUrl('wss://apikey@host/ws')).toBe('wss://host/ws');
    expect(redactUrl('wss://:secret@host/ws')).toBe('wss://host/ws');
  });

  it('removes the fragment', () => {
    expect(redactUrl('https://host/cb?state=1#access_token=xyz')).toBe('https://host/cb?state=***');
  });

  it.each([
    ['ws://u:p@127.0.0.1:8080/feed?k=v', 'ws://127.0.0.1:8080/feed?k=***'],
    ['wss://u:p@host:443/feed?k=v', 'wss://host/feed?k=***'],
    ['http://u:p@host/feed?k=v', 'http://host/feed?k=***'],
    ['https://u:p@[::1]:9000/feed?k=v', 'https://[::1]:9000/feed?k=***'],
  ])('handles %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('accepts a URL object and never modifies it', () => {
    const url = new URL('wss://user:pass@host/ws?token=abc#frag');
    expect(redactUrl(url)).toBe('wss://host/ws?token=***');
    expect(url.href).toBe('wss://user:pass@host/ws?token=abc#frag');
  });

  it.each(['not a url', '', 'wss://', '/ws?token=abc', 'wss://exa mple.com/ws', 'wss://host:99999/ws'])(
    'returns the unparsable marker for %j',
    (input) => {
      expect(redactUrl(input)).toBe(UNPARSABLE_URL);
    },
  );

  it('never throws, even for values a JavaScript caller might pass', () => {
    for (const bad of [null, undefined, 42, {}, Symbol('x')]) {
      expect(redactUrl(bad as unknown as string)).toBe(UNPARSABLE_URL);
    }
  });
});

describe('redactText', () => {
  const url = 'wss://user:pass@host/ws?token=abc&x=1';

  it('replaces the raw url with its redacted form', () => {
    expect(redactText(`Invalid URL: ${url}`, url)).toBe('Invalid URL: wss://host/ws?token=***&x=***');
  });

  it('replaces every occurrence, of the raw and of the normalised form', () => {
    const raw = 'wss://host?token=abc';
    const text = `connect ${raw} failed; retrying wss://host/?token=abc; giving up on ${raw}`;
    expect(redactText(text, raw)).toBe(
      'connect wss://host/?token=*** failed; retrying wss://host/?token=***; giving up on wss://host/?token=***',
    );
  });

  it('masks the bare token value, username and password where they appear alone', () => {
    expect(redactText('server said: invalid token abc', url)).toBe('server said: invalid token ***');
    expect(redactText("auth failed for 'user' with pass", url)).toBe("auth failed for '***' with ***");
  });

  it('masks decoded forms of encoded values', () => {
    const encoded = 'wss://host/ws?key=s3cr%2Bt%2F1&note=hello+world';
    expect(redactText('bad key s3cr+t/1 (hello world)', encoded)).toBe('bad key *** (***)');
    expect(redactText('bad key s3cr%2Bt%2F1', encoded)).toBe('bad key ***');
  });

  it('masks values spelled differently in the raw input than in the normalised URL', () => {
    const spaced = 'wss://host/ws?name=two words';
    expect(redactUrl(spaced)).toBe('wss://host/ws?name=***');
    expect(redactText('rejected: two words', spaced)).toBe('rejected: ***');
  });

  it('masks a token carried in the fragment', () => {
    const withFragment = 'https://host/cb#access_token=t0k3n';
    expect(redactText('token t0k3n expired', withFragment)).toBe('token *** expired');
  });

  it('does not mask a secret inside a longer word or number', () => {
    // x=1 must not turn the status code or close code into "40***".
    expect(redactText('Unexpected server response: 401, close 1006', url)).toBe(
      'Unexpected server response: 401, close 1006',
    );
    expect(redactText('abcdef and xabc stay', url)).toBe('abcdef and xabc stay');
  });

  it('masks secrets that contain regular-expression characters literally', () => {
    const tricky = 'wss://host/ws?sig=a.b*c(d)|e';
    expect(redactText('sig a.b*c(d)|e rejected; aXbbc untouched', tricky)).toBe('sig *** rejected; aXbbc untouched');
  });

  it('prefers the longest secret when one value is a prefix of another', () => {
    const twoKeys = 'wss://host/ws?a=secret&b=secret-long';
    expect(redactText('got secret-long', twoKeys)).toBe('got ***');
  });

  it('accepts a URL object', () => {
    expect(redactText(`failed: ${url}`, new URL(url))).toBe('failed: wss://host/ws?token=***&x=***');
  });

  it('leaves text without secrets unchanged', () => {
    expect(redactText('connection reset by peer', url)).toBe('connection reset by peer');
    expect(redactText('', url)).toBe('');
  });

  it('replaces an unparsable url with the marker and changes nothing else', () => {
    expect(redactText('bad: ht!tp:/x?token=abc end', 'ht!tp:/x?token=abc')).toBe(`bad: ${UNPARSABLE_URL} end`);
    expect(redactText('nothing here', '')).toBe('nothing here');
  });

  it('never throws, returning a placeholder rather than leaking when it cannot redact', () => {
    expect(redactText(undefined as unknown as string, url)).toBe(UNREDACTABLE_TEXT);
    expect(redactText({ toString: () => `boom ${url}` } as unknown as string, url)).toBe(UNREDACTABLE_TEXT);
    expect(redactText('x Symbol(u)', Symbol('u') as unknown as string)).toBe(`x ${UNPARSABLE_URL}`);
  });

  it('uses *** as the mask', () => {
    expect(REDACTED).toBe('***');
  });
});
