import { describe, expect, it } from 'vitest';
import { describeUrl, normalizeDdpUrl } from '../../src/ddp/url.js';

describe('normalizeDdpUrl', () => {
  it.each([
    ['https://chat.example.com', 'wss://chat.example.com/websocket'],
    ['https://chat.example.com/', 'wss://chat.example.com/websocket'],
    ['http://localhost:3000', 'ws://localhost:3000/websocket'],
    ['ws://127.0.0.1:3000', 'ws://127.0.0.1:3000/websocket'],
    ['wss://chat.example.com/websocket', 'wss://chat.example.com/websocket'],
    ['ws://127.0.0.1:3000/websocket', 'ws://127.0.0.1:3000/websocket'],
    ['https://chat.example.com/custom/path', 'wss://chat.example.com/custom/path'],
    ['https://example.com/chat/', 'wss://example.com/chat/websocket'],
    ['https://chat.example.com?a=1&b=2', 'wss://chat.example.com/websocket?a=1&b=2'],
    ['https://chat.example.com/websocket?x=y', 'wss://chat.example.com/websocket?x=y'],
    ['https://chat.example.com/#section', 'wss://chat.example.com/websocket'],
    ['HTTPS://Chat.Example.COM', 'wss://chat.example.com/websocket'],
    ['  https://chat.example.com  ', 'wss://chat.example.com/websocket'],
    ['https://chat.example.com:443', 'wss://chat.example.com/websocket'],
    ['http://[::1]:3000', 'ws://[::1]:3000/websocket'],
  ])('turns %s into %s', (input, expected) => {
    expect(normalizeDdpUrl(input)).toBe(expected);
  });

  it.each([
    ['ftp://example.com', 'unsupported scheme "ftp:" in the server URL: use http://, https://, ws:// or wss://'],
    ['file:///tmp/x', 'unsupported scheme "file:" in the server URL: use http://, https://, ws:// or wss://'],
    ['ddp+sockjs://example.com', 'unsupported scheme "ddp+sockjs:" in the server URL: use http://, https://, ws:// or wss://'],
    ['chat.example.com', 'invalid server URL "chat.example.com": expected an absolute http(s):// or ws(s):// URL'],
    ['', 'invalid server URL "": expected an absolute http(s):// or ws(s):// URL'],
  ])('rejects %j with a clear TypeError', (input, message) => {
    expect(() => normalizeDdpUrl(input)).toThrow(new TypeError(message));
  });

  it('rejects a value that is not a string', () => {
    expect(() => normalizeDdpUrl(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('describeUrl', () => {
  it('leaves out credentials, query and fragment', () => {
    expect(describeUrl('wss://user:secret@chat.example.com/websocket?token=abc#x')).toBe('wss://chat.example.com/websocket');
  });
});
