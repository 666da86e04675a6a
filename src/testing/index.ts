/**
 * `rocketchat-ddp/testing`: a faithful fake Rocket.Chat server for tests (Node only).
 *
 * @module
 */
export { FakeRocketChatServer } from './fake-server.js';
export { totpCode } from './totp.js';
export { FAKE_SERVER_VERSION } from './http.js';
export { MethodError, methodError } from './errors.js';
export type {
  FakePostOptions,
  FakeRoom,
  FakeRoomOptions,
  FakeMethod,
  FakeMethodContext,
  FakeServerEvents,
  FakeUser,
  FakeUserOptions,
  WaitForFrameOptions,
  WaitOptions,
} from './fake-server.js';
export type { FakeConnection } from './connection.js';
export type {
  FakeServerOptions,
  FakeServerVariant,
  FaultOptions,
  ServerHeartbeatOptions,
  ServerRateLimitOptions,
} from './options.js';
export type { RateRule } from './rate-limiter.js';
export type { MeteorErrorObject } from './errors.js';
export type { MessageTransport, MessageUser, RoomType, StoredMessage } from './store.js';
export type { FakeRestRequest } from './rest-api.js';
