/**
 * Every client kind the benchmarks know, by name (workers receive the name on their command line).
 */
import type { ClientKind } from './driver.js';
import { ourKinds, rocketChatAfterSendKind } from './ours.js';
import { ddpJs, simpleDdp } from './peers.js';
import { promisedWsLoop, wsLoop } from './ws-loop.js';

/** The baseline first, then ours, the reference, then the peers. */
export const ALL_KINDS: readonly ClientKind[] = [wsLoop, ...ourKinds, promisedWsLoop, ddpJs, simpleDdp];

/** The kinds of the memory table: {@link ALL_KINDS}, and `RocketChatClient` once it has sent. */
export const MEMORY_KINDS: readonly ClientKind[] = [wsLoop, ...ourKinds, rocketChatAfterSendKind, ddpJs, simpleDdp];

/** The kind named `name` (its name or short name). */
export function kindNamed(name: string): ClientKind {
  const kind = MEMORY_KINDS.find((candidate) => candidate.name === name || candidate.shortName === name);
  if (kind === undefined) throw new Error(`unknown client kind "${name}"`);
  return kind;
}

/** `true` for rocketchat-ddp's own kinds (the ones the targets apply to). */
export function isOurs(name: string): boolean {
  return [...ourKinds, rocketChatAfterSendKind].some((kind) => kind.name === name || kind.shortName === name);
}

/** `true` for the reference kinds: measured beside ours, with no target. */
export function isReference(name: string): boolean {
  return name === promisedWsLoop.name || name === promisedWsLoop.shortName;
}
