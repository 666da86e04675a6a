/**
 * `rocketchat-ddp`: a client for Rocket.Chat's realtime API (Meteor's DDP over one WebSocket).
 *
 * The public surface, listed by name: values first, then types. The fake server for tests is
 * the separate entry `rocketchat-ddp/testing`.
 *
 * Left out on purpose: the building blocks behind the clients (the pending-call table, the
 * heartbeat, the socket adapter, the stream hub, the send pacer) — they are internal and may
 * change without notice.
 *
 * @packageDocumentation
 */

// --- Rocket.Chat layer -------------------------------------------------------------------
export { RocketChatClient } from './rocketchat/client.js';
export { decodeMessage } from './rocketchat/decode.js';
export { MessagesPrunedEvent } from './rocketchat/prune.js';
export { sha256Hex } from './rocketchat/auth.js';
export {
  DEFAULT_MAX_MESSAGE_LENGTH,
  REALTIME_MESSAGE_FIELDS,
  REST_ONLY_MESSAGE_FIELDS,
  messageTransport,
  validateOutgoingMessage,
} from './rocketchat/validate.js';
export { DEFAULT_RATE_LIMIT } from './rocketchat/rate-limit.js';
export {
  InvalidMessageError,
  MessageNotDeliveredError,
  RateLimitedError,
  RocketChatErrorCode,
  StreamOverflowError,
  TwoFactorRequiredError,
  hasErrorCode,
  isInvalidMessageError,
  isMessageNotDeliveredError,
  isRateLimitedError,
  isStreamOverflowError,
  isTwoFactorRequiredError,
} from './rocketchat/errors.js';

// --- DDP layer ---------------------------------------------------------------------------
export { DdpClient } from './ddp/client.js';
export { DEFAULT_RECONNECT_OPTIONS, backoffDelay } from './ddp/backoff.js';
export { DEFAULT_HEARTBEAT_OPTIONS } from './ddp/heartbeat.js';
export { normalizeDdpUrl } from './ddp/url.js';
export { SECRET_KEYS, redactFrame } from './ddp/redact.js';
export { METEOR_ID_ALPHABET, randomId } from './ddp/random-id.js';
export { decodeServerFrame, encodeFrame, DEFAULT_MAX_FRAME_BYTES } from './ddp/codec.js';
export { SUPPORTED_DDP_VERSIONS } from './ddp/protocol.js';
export {
  DdpClosedError,
  DdpConnectionError,
  DdpError,
  DdpLimitError,
  DdpMethodError,
  DdpProtocolError,
  DdpTimeoutError,
  DdpVersionError,
  isDdpClosedError,
  isDdpConnectionError,
  isDdpError,
  isDdpMethodError,
  isDdpTimeoutError,
} from './ddp/errors.js';

// --- Types -------------------------------------------------------------------------------
export type {
  ListenOptions,
  LoadHistoryOptions,
  LoadHistoryResult,
  MessageDeletedEvent,
  MessageStream,
  MessagesOptions,
  PruneMessagesOptions,
  RocketChatClientEvents,
  RocketChatClientOptions,
  SendMessageOptions,
  TypingEvent,
} from './rocketchat/client.js';
export type {
  Credentials,
  EmailPasswordLogin,
  IMessage,
  IMessageAttachment,
  IMessageAttachmentField,
  IMessageChannel,
  IMessageFile,
  IMessageMention,
  IMessageReaction,
  IMessageUrl,
  IUserRef,
  LdapLogin,
  LoginCredentials,
  MarkdownToken,
  MessageAttachmentFields,
  OutgoingAttachment,
  OutgoingMessage,
  ResumeLogin,
  UiKitActionsBlock,
  UiKitBlock,
  UiKitBlockBase,
  UiKitButton,
  UiKitContextBlock,
  UiKitDividerBlock,
  UiKitElement,
  UiKitImageBlock,
  UiKitImageElement,
  UiKitOtherBlock,
  UiKitSectionBlock,
  UiKitText,
  UsernamePasswordLogin,
} from './rocketchat/types.js';
export type { PrunableMessage } from './rocketchat/prune.js';
export type { RateLimitOptions } from './rocketchat/rate-limit.js';
export type { FieldKind, MessageTransport, ValidateOptions } from './rocketchat/validate.js';
export type { MessageIteratorOptions } from './rocketchat/streams.js';
export type {
  CallOptions,
  ConnectOptions,
  DdpClientOptions,
  DdpLogger,
  DdpSession,
  SessionSetup,
} from './ddp/client.js';
export type { DecodeOptions } from './ddp/codec.js';
export type { HeartbeatOptions } from './ddp/heartbeat.js';
export type { ReconnectOptions } from './ddp/backoff.js';
export type { Subscription } from './ddp/subscriptions.js';
export type { WebSocketConstructor, WebSocketLike } from './ddp/socket.js';
export type { ConnectionStatus, DdpClientEvents, StatusDetails } from './ddp/status.js';
export type { DdpConnectionErrorCode, DdpLimit } from './ddp/errors.js';
export type {
  AddedBeforeFrame,
  AddedFrame,
  ChangedFrame,
  ClientFrame,
  ConnectFrame,
  ConnectedFrame,
  DdpErrorObject,
  DdpFrame,
  DdpVersion,
  ErrorFrame,
  FailedFrame,
  MethodFrame,
  MovedBeforeFrame,
  NosubFrame,
  PingFrame,
  PongFrame,
  ReadyFrame,
  RemovedFrame,
  ResultFrame,
  ServerFrame,
  SubFrame,
  UnsubFrame,
  UpdatedFrame,
} from './ddp/protocol.js';
