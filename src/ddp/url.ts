/**
 * Turns the URL a user gives (`https://chat.example.com`) into the WebSocket URL the DDP
 * endpoint lives at (`wss://chat.example.com/websocket`).
 *
 * @module
 */

const SCHEMES: Readonly<Record<string, string>> = {
  'http:': 'ws:',
  'https:': 'wss:',
  'ws:': 'ws:',
  'wss:': 'wss:',
};

/** The last URL normalised and its result: clients of one server share one string. */
let lastInput: string | undefined;
let lastOutput = '';

/**
 * Normalises a server URL for DDP:
 * - `http:` becomes `ws:` and `https:` becomes `wss:`; `ws:` and `wss:` stay;
 * - `/websocket` is appended when the URL has no path (or just `/`), and `websocket` when the
 *   path ends with `/` (a server under a sub-path, `https://host/chat/`); any other path is kept;
 * - the query string is kept; the fragment is dropped (WebSocket URLs may not have one).
 *
 * @throws {TypeError} when `url` is not an absolute URL, or its scheme is not http(s) or ws(s).
 * @example normalizeDdpUrl('https://chat.example.com') // 'wss://chat.example.com/websocket'
 */
export function normalizeDdpUrl(url: string): string {
  if (typeof url !== 'string') throw new TypeError('the server URL must be a string');
  if (url === lastInput) return lastOutput;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new TypeError(`invalid server URL ${JSON.stringify(url)}: expected an absolute http(s):// or ws(s):// URL`);
  }
  const scheme = SCHEMES[parsed.protocol];
  if (scheme === undefined) {
    throw new TypeError(
      `unsupported scheme "${parsed.protocol}" in the server URL: use http://, https://, ws:// or wss://`,
    );
  }
  // Changing between special schemes (http ⇄ ws) is allowed by the URL standard.
  parsed.protocol = scheme;
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = '/websocket';
  else if (parsed.pathname.endsWith('/')) parsed.pathname += 'websocket';
  parsed.hash = '';
  lastOutput = parsed.toString();
  lastInput = url;
  return lastOutput;
}

/** The URL without credentials, query or fragment: safe to put in error messages and logs. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
