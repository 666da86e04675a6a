/**
 * An echo bot: answers every message in a room with the same text, for as long as it runs,
 * through dropped connections, server restarts and revoked tokens. Ctrl-C (or SIGTERM)
 * stops it cleanly.
 *
 *     RC_URL=https://chat.example.com RC_USER=echo RC_PASSWORD=… node examples/echo-bot.ts
 *
 * `RC_ROOM` names the room (name or id; default `general`). From a checkout, `npm run build`
 * first; Node ≥ 22.18 runs the `.ts` file as it is (older versions: compile it first).
 */
import { RocketChatClient, isDdpError } from 'rocketchat-ddp';
import type { IMessage } from 'rocketchat-ddp';

const { RC_URL, RC_USER, RC_PASSWORD, RC_ROOM = 'general' } = process.env;
if (!RC_URL || !RC_USER || !RC_PASSWORD) {
  console.error('set RC_URL, RC_USER and RC_PASSWORD');
  process.exit(2);
}
const credentials = { username: RC_USER, password: RC_PASSWORD };

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

const client = new RocketChatClient({ url: RC_URL });
client.on('status', (status, { reason }) => console.log(`status: ${status}${reason === undefined ? '' : ` (${reason})`}`));
// After a reconnect the client logs in again with its resume token by itself. If the server
// refuses the token (revoked, expired), log in with the password: the room's stream, which
// waits for a login meanwhile, then carries on by itself.
client.on('loginFailed', (error) => {
  console.log(`automatic login refused: ${error.message}`);
  client.login(credentials).then(
    () => console.log('logged in again with the password'),
    (failure: unknown) => console.error(`could not log in again: ${isDdpError(failure) ? failure.message : String(failure)}`),
  );
});

async function echo(rid: string, message: IMessage): Promise<void> {
  // Skip our own messages, edits (they come again under the same _id) and system messages.
  if (message.u._id === client.userId || message.editedAt !== undefined || message.t !== undefined) return;
  try {
    await client.sendMessage({ rid, msg: message.msg, ...(message.tmid === undefined ? {} : { tmid: message.tmid }) });
  } catch (error) {
    // One message the server refused (too long, rate limited for too long…) must not stop the bot.
    console.error(`could not echo ${message._id}: ${isDdpError(error) ? error.message : String(error)}`);
  }
}

try {
  await client.connect({ retry: true, signal: stop.signal }); // keep trying until the server answers
  await client.login(credentials);
  const rid = await client.getRoomId(RC_ROOM);
  console.log(`echoing in ${RC_ROOM} as ${client.username ?? RC_USER}`);
  for await (const message of client.messages(rid, { signal: stop.signal })) await echo(rid, message);
} catch (error) {
  if (!stop.signal.aborted) throw error; // aborting ends connect() and the loop with the signal's reason
} finally {
  await client.close();
  console.log('stopped');
}
