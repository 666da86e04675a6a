/**
 * rocketchat-ddp's own clients (filled in once DdpClient and RocketChatClient exist).
 */
import type { ClientKind } from './driver.js';

/** Our client kinds, in table order. */
export const ourKinds: readonly ClientKind[] = [];
