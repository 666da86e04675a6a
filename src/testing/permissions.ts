/**
 * The few permissions the fake server checks, with the roles Rocket.Chat grants them to on a
 * fresh install, plus the ones a test grants a user directly (`addUser({ permissions })`).
 *
 * @module
 */
import type { StoredUser } from './store.js';

/** Permissions the fake server knows, with the roles that have them by default. */
export const DEFAULT_PERMISSION_ROLES: Readonly<Record<string, readonly string[]>> = {
  /** Send with `alias` or `avatar` (a name or picture other than the sender's). */
  'message-impersonate': ['bot', 'app'],
  /** Not counted by the REST API's rate limiter. */
  'api-bypass-rate-limit': ['admin', 'bot', 'app'],
  /** Prune a room's messages (`cleanRoomHistory`); Rocket.Chat also grants it to room owners. */
  'clean-channel-history': ['admin'],
};

/** `true` when `user` has `permission`, through a role or granted directly. */
export function hasPermission(user: StoredUser, permission: string): boolean {
  if (user.permissions?.includes(permission) === true) return true;
  const roles = DEFAULT_PERMISSION_ROLES[permission] ?? [];
  return user.roles.some((role) => roles.includes(role));
}
