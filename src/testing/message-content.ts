/**
 * What the server derives from a message's text before saving it: the `md` syntax tree
 * (a small subset of Rocket.Chat's message-parser: paragraphs, plain text, user and channel
 * mentions, links, emoji shortcodes), the `mentions` and `channels` lists, and `urls`.
 *
 * @module
 */

/** A node of the `md` tree. */
export type MdNode = Record<string, unknown>;

const TOKEN = /(https?:\/\/[^\s<>]+)|(?<![\w@#])@([\w.-]+)|(?<![\w@#])#([\w.-]+)|:([\w+-]+):/g;
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]{2,8}:\/\/[^\s<>"']+/gi;

function plain(value: string): MdNode {
  return { type: 'PLAIN_TEXT', value };
}

function trimUrl(url: string): string {
  return url.replace(/[.,;:!?)\]]+$/, '');
}

/** Parses one line into inline nodes. */
function parseInline(line: string): MdNode[] {
  const nodes: MdNode[] = [];
  let text = '';
  let last = 0;
  const flush = (): void => {
    if (text !== '') nodes.push(plain(text));
    text = '';
  };
  for (const match of line.matchAll(TOKEN)) {
    const index = match.index;
    let whole = match[0];
    let node: MdNode;
    if (match[1] !== undefined) {
      const url = trimUrl(match[1]);
      whole = url;
      node = { type: 'LINK', value: { src: plain(url), label: [plain(url)] } };
    } else if (match[2] !== undefined) {
      const name = match[2].replace(/[.-]+$/, '');
      whole = `@${name}`;
      node = { type: 'MENTION_USER', value: plain(name) };
    } else if (match[3] !== undefined) {
      const name = match[3].replace(/[.-]+$/, '');
      whole = `#${name}`;
      node = { type: 'MENTION_CHANNEL', value: plain(name) };
    } else {
      const code = match[4]!;
      node = { type: 'EMOJI', value: plain(code), shortCode: code };
    }
    if (whole.length <= 1) continue;
    text += line.slice(last, index);
    flush();
    nodes.push(node);
    last = index + whole.length;
    TOKEN.lastIndex = last;
  }
  text += line.slice(last);
  flush();
  return nodes;
}

/** The `md` tree of `msg`: one `PARAGRAPH` per non-empty line, `LINE_BREAK` for empty ones. */
export function parseMarkdown(msg: string): MdNode[] {
  if (msg === '') return [];
  return msg.split('\n').map((line) => (line === '' ? { type: 'LINE_BREAK' } : { type: 'PARAGRAPH', value: parseInline(line) }));
}

/** The distinct `@name` mentions of `msg`, in order. */
export function mentionedUsernames(msg: string): string[] {
  const names = new Set<string>();
  for (const match of msg.matchAll(/(?<![\w@#])@([\w.-]+)/g)) names.add(match[1]!.replace(/[.-]+$/, ''));
  return [...names].filter((name) => name !== '');
}

/** The distinct `#name` channel mentions of `msg`, in order. */
export function mentionedChannels(msg: string): string[] {
  const names = new Set<string>();
  for (const match of msg.matchAll(/(?<![\w@#])#([\w.-]+)/g)) names.add(match[1]!.replace(/[.-]+$/, ''));
  return [...names].filter((name) => name !== '');
}

/**
 * The `urls` field: every distinct URL of `msg` as `{ url, meta: {} }`; with `previewUrls`
 * (the URLs the sender wants previewed), the others get `ignoreParse: true`.
 */
export function messageUrls(
  msg: string,
  previewUrls: readonly string[] | undefined,
): { url: string; meta: Record<string, unknown>; ignoreParse?: boolean }[] {
  const urls = new Set<string>();
  for (const match of msg.matchAll(URL_IN_TEXT)) urls.add(trimUrl(match[0]));
  return [...urls].map((url) =>
    previewUrls !== undefined && !previewUrls.includes(url) ? { url, meta: {}, ignoreParse: true } : { url, meta: {} },
  );
}
