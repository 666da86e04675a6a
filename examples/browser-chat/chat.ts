/**
 * A minimal chat page for the room #general: a status banner that says what the connection
 * is doing, the room's last messages, new ones as they arrive, and a composer whose
 * messages show "sending…" until the server has stored them — also while the connection is
 * down (they are sent, once, when it is back).
 *
 * Bundle it with any bundler (`esbuild chat.ts --bundle --format=esm --outfile=chat.js`);
 * `serve.ts` next to it does that and serves the page with a fake server to talk to.
 */
import { RocketChatClient, hasErrorCode, randomId } from 'rocketchat-ddp';
import type { ConnectionStatus, IMessage, StatusDetails } from 'rocketchat-ddp';

function element<T extends HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`the page has no ${selector}`);
  return found;
}

const banner = element<HTMLDivElement>('#status');
const loginForm = element<HTMLFormElement>('#login');
const composer = element<HTMLFormElement>('#composer');
const textInput = element<HTMLInputElement>('#text');
const list = element<HTMLOListElement>('#messages');
const log = element<HTMLOListElement>('#status-log');

element<HTMLInputElement>('#server').value = new URLSearchParams(location.search).get('server') ?? '';

let client: RocketChatClient | undefined;
let rid = '';

// ---------------------------------------------------------------------------------------
// The connection banner and its log

function describe(status: ConnectionStatus, details: StatusDetails): string {
  switch (status) {
    case 'connected':
      return client?.username === undefined ? 'Connected' : `Connected as ${client.username}`;
    case 'connecting':
      return details.attempt === undefined ? 'Connecting…' : `Reconnecting… (attempt ${details.attempt})`;
    case 'waiting':
      return `Connection lost. Retrying in ${((details.retryInMs ?? 0) / 1000).toFixed(1)} s (attempt ${details.attempt ?? 1})`;
    case 'idle':
      return details.reason === undefined ? 'Not connected' : `Not connected: ${details.reason}`;
    case 'closed':
      return 'Disconnected';
    case 'failed':
      return `Connection failed: ${details.reason ?? 'unknown reason'}`;
  }
}

function showStatus(status: ConnectionStatus, details: StatusDetails = {}): void {
  banner.dataset['status'] = status;
  banner.textContent = describe(status, details);
}

function note(text: string): void {
  const entry = document.createElement('li');
  entry.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  log.append(entry);
}

// ---------------------------------------------------------------------------------------
// Messages: one list item per message id, so a message shown as "sending…" is the same
// item the stream (or sendMessage's answer) later confirms, and an edit replaces it.

function itemFor(id: string): HTMLLIElement {
  const existing = list.querySelector<HTMLLIElement>(`li[data-id="${CSS.escape(id)}"]`);
  if (existing !== null) return existing;
  const item = document.createElement('li');
  item.dataset['id'] = id;
  item.append(document.createElement('time'), document.createElement('b'), ' ', document.createElement('span'));
  const state = document.createElement('span');
  state.className = 'state';
  item.append(state);
  list.append(item);
  return item;
}

function fill(item: HTMLLIElement, fields: { ts: Date; username: string; text: string; state: string; label: string }): void {
  const [time, author, , body, state] = item.childNodes;
  (time as HTMLTimeElement).dateTime = fields.ts.toISOString();
  (time as HTMLTimeElement).textContent = fields.ts.toLocaleTimeString();
  (author as HTMLElement).textContent = fields.username;
  (body as HTMLElement).textContent = fields.text;
  (state as HTMLElement).textContent = fields.label;
  item.dataset['state'] = fields.state;
}

/** A message as the server has it: `ts` is a real `Date`. */
function showMessage(message: IMessage): void {
  fill(itemFor(message._id), {
    ts: message.ts,
    username: message.u.username,
    text: message.msg,
    state: 'stored',
    label: message.editedAt === undefined ? '' : '(edited)',
  });
}

function send(text: string): void {
  if (client === undefined) return;
  // Our own id: the item shown now is the one the server's copy replaces, and a send that
  // is resent after a reconnect can never be stored twice.
  const _id = randomId();
  const offline = client.status !== 'connected';
  fill(itemFor(_id), {
    ts: new Date(),
    username: client.username ?? '',
    text,
    state: 'sending',
    label: offline ? '(waiting for the connection…)' : '(sending…)',
  });
  client.sendMessage({ _id, rid, msg: text }).then(showMessage, (error: unknown) => {
    const item = itemFor(_id);
    item.dataset['state'] = 'failed';
    item.lastChild!.textContent = `(not sent: ${error instanceof Error ? error.message : String(error)})`;
  });
}

// ---------------------------------------------------------------------------------------
// Start: connect, log in, show the history, follow the room.

async function start(url: string, username: string, password: string): Promise<void> {
  const next = new RocketChatClient({ url });
  client = next;
  let logins = 0;
  next.on('status', (status, details) => {
    showStatus(status, details);
    const extra = [details.attempt === undefined ? '' : `attempt ${details.attempt}`, details.retryInMs === undefined ? '' : `retry in ${Math.round(details.retryInMs)} ms`];
    note(`${status} ${extra.filter(Boolean).join(', ')}`.trim());
  });
  next.on('login', () => {
    logins += 1;
    note(logins === 1 ? `logged in as ${next.username ?? username}` : 'logged in again with the resume token');
    showStatus(next.status);
  });
  next.on('loginFailed', (error) => note(`signed out: ${error.message}`));
  try {
    await next.connect();
    await next.login({ username, password });
  } catch (error) {
    client = undefined;
    await next.close();
    const why = hasErrorCode(error, 401) ? 'wrong username or password' : error instanceof Error ? error.message : String(error);
    showStatus('idle', { reason: why });
    note(`could not log in: ${why}`);
    return;
  }
  rid = await next.getRoomId('general');
  const { messages } = await next.loadHistory(rid, { limit: 20 });
  for (const message of [...messages].reverse()) showMessage(message);
  next.onMessage(rid, showMessage, { onError: (error) => note(`the room stream ended: ${error.message}`) });
  loginForm.hidden = true;
  composer.hidden = false;
  textInput.focus();
}

loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(loginForm);
  void start(String(data.get('server')), String(data.get('username')), String(data.get('password')));
});

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = textInput.value.trim();
  textInput.value = '';
  if (text !== '') send(text);
});

addEventListener('pagehide', () => void client?.close());
