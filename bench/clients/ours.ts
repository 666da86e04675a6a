/**
 * rocketchat-ddp's own clients (filled in once DdpClient and RocketChatClient exist).
 */
import type { ClientKind } from './driver.js';

/** Our client kinds, in table order. */
export function ourKinds(): Promise<ClientKind[]> {
  return Promise.resolve([]);
}
