/**
 * The logged-in user's document as Meteor's universal `users` publication sends it right
 * after a login (`{"msg":"added","collection":"users",…}`): Rocket.Chat's base user fields.
 *
 * @module
 */
import type { ServerCore } from './core.js';
import type { StoredUser } from './store.js';

/** The `fields` of the `added` frame for `user`. */
export function userDocumentFields(core: ServerCore, user: StoredUser): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (user.name !== undefined) fields['name'] = user.name;
  fields['username'] = user.username;
  if (user.emails.length > 0) fields['emails'] = user.emails.map((email) => ({ ...email }));
  fields['statusDefault'] = 'online';
  fields['statusText'] = '';
  fields['statusConnection'] = core.isOnline(user._id) ? 'online' : 'offline';
  fields['utcOffset'] = 0;
  fields['active'] = user.active;
  fields['roles'] = [...user.roles];
  fields['settings'] = { preferences: {} };
  fields['_updatedAt'] = user._updatedAt;
  fields['services'] = { totp: { enabled: user.totpSecret !== undefined }, email2fa: { enabled: false } };
  return fields;
}
