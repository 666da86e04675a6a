/**
 * The code under test: a greeter that answers "hello" (or "hi") in a room. It could be any
 * part of your bot or app that talks to Rocket.Chat through a `RocketChatClient`.
 */
import type { IMessage, RocketChatClient } from 'rocketchat-ddp';

/** Answers greetings in room `rid`; returns the function that stops it. */
export function startGreeter(client: RocketChatClient, rid: string): () => void {
  return client.onMessage(rid, (message: IMessage) => {
    if (message.u._id === client.userId || message.editedAt !== undefined) return; // ours, or an edit
    if (!/^(hello|hi)\b/i.test(message.msg)) return;
    client.sendMessage({ rid, msg: `Hello, @${message.u.username}!` }).catch((error: unknown) => {
      console.error('the greeting was not sent:', error);
    });
  });
}
