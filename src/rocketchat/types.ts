/**
 * The Rocket.Chat values this library hands out and takes in: messages (with real `Date`s),
 * credentials, and the message a caller sends.
 *
 * Field names are the server's own. Every date field is a `Date` by the time a value leaves
 * {@link decodeMessage}; fields this file does not name are kept as they arrived (the server
 * adds fields between versions, and apps add their own).
 *
 * @module
 */

/** A reference to a user, as embedded in messages (`u`, `editedBy`, `pinnedBy`…). */
export interface IUserRef {
  /** The user's id. */
  readonly _id: string;
  /** The user's login name. */
  readonly username: string;
  /** The display name, when the server sends one. */
  readonly name?: string;
}

/** A user mentioned in a message (`@alice`, `@all`, `@here`, or a team). */
export interface IMessageMention {
  /** The user's (or team's) id; `"all"` / `"here"` for those mentions. */
  readonly _id: string;
  readonly username?: string;
  readonly name?: string;
  /** `'user'` or `'team'`. */
  readonly type?: string;
  readonly [field: string]: unknown;
}

/** A channel mentioned in a message (`#general`). */
export interface IMessageChannel {
  readonly _id: string;
  readonly name: string;
  readonly fname?: string;
  readonly [field: string]: unknown;
}

/** A URL found in a message; `meta` is filled later by the server's link preview. */
export interface IMessageUrl {
  readonly url: string;
  /** Preview metadata (`ogTitle`, `pageTitle`…); `{}` until the server has unfurled the URL. */
  readonly meta?: Readonly<Record<string, string>>;
  /** `true` when the URL is not to be unfurled (it was left out of `previewUrls`). */
  readonly ignoreParse?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  readonly parsedUrl?: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

/**
 * One node of the parsed message body (`md`), produced by Rocket.Chat's message parser:
 * `{ type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'hello' }] }`. Typed loosely:
 * the node types and their `value`s vary with the server version.
 */
export interface MarkdownToken {
  /** The node type, e.g. `'PARAGRAPH'`, `'PLAIN_TEXT'`, `'BOLD'`, `'MENTION_USER'`. */
  readonly type: string;
  /** A string, a node, a list of nodes, or a structured value, depending on `type`. */
  readonly value?: unknown;
  readonly [field: string]: unknown;
}

/** Who reacted with one emoji. */
export interface IMessageReaction {
  /** Usernames of the users who reacted. */
  readonly usernames: readonly string[];
  /** Their display names, when the server keeps them. */
  readonly names?: readonly string[];
  readonly federationReactionEventIds?: Readonly<Record<string, string>>;
}

/** One `{ short, title, value }` field of an attachment: a small labelled value in a grid. */
export interface IMessageAttachmentField {
  /** `true`: the field shares its row with the next short one. */
  readonly short?: boolean;
  /** The label; the server refuses an empty one. */
  readonly title: string;
  /** The value (Markdown); the server refuses an empty one. */
  readonly value: string;
}

/**
 * The fields an attachment has both when sent and when received, as Rocket.Chat's REST
 * `chat.sendMessage` documents them. The `*_url`, `*_link` and `author_icon` fields must be
 * absolute `http(s)://` (or `data:`) URLs: the server refuses other values.
 */
export interface MessageAttachmentFields {
  /** The colour of the bar beside it, e.g. `'#ff0000'`. */
  readonly color?: string;
  /** Its text (Markdown). */
  readonly text?: string;
  /** A small image shown beside the text. */
  readonly thumb_url?: string;
  /** Makes the timestamp a link to this URL. */
  readonly message_link?: string;
  /** `true`: shown collapsed, title only. */
  readonly collapsed?: boolean;
  readonly author_name?: string;
  readonly author_link?: string;
  readonly author_icon?: string;
  readonly title?: string;
  readonly title_link?: string;
  /** `true`: a download button beside the title. */
  readonly title_link_download?: boolean;
  readonly image_url?: string;
  readonly image_type?: string;
  readonly image_size?: number;
  readonly audio_url?: string;
  readonly audio_type?: string;
  readonly video_url?: string;
  readonly video_type?: string;
  readonly description?: string;
  /** Labelled values, shown as a grid. */
  readonly fields?: readonly IMessageAttachmentField[];
}

/** An attachment as received: a quote, a file, an image, a rich card… */
export interface IMessageAttachment extends MessageAttachmentFields {
  /** When the quoted or attached thing was created. */
  readonly ts?: Date;
  /** Quotes nest: a quoted message's own attachments. */
  readonly attachments?: readonly IMessageAttachment[];
  readonly [field: string]: unknown;
}

/**
 * An attachment as sent. Every {@link IMessageAttachment} is one, so a received attachment
 * can be sent again as it is.
 */
export interface OutgoingAttachment extends MessageAttachmentFields {
  /**
   * The time shown on the attachment. A `Date` travels as an ISO 8601 string; the server
   * also takes the string itself or epoch milliseconds.
   */
  readonly ts?: Date | string | number;
  readonly attachments?: readonly OutgoingAttachment[];
  readonly [field: string]: unknown;
}

/** A text object of a UIKit block: plain text or Markdown (`'mrkdwn'`). */
export interface UiKitText {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
  /** For `plain_text`: turn `:shortcodes:` into emoji. */
  readonly emoji?: boolean;
}

/** A button of a UIKit `actions` block (or a section's accessory). */
export interface UiKitButton {
  readonly type: 'button';
  readonly text: UiKitText;
  /** Reported to the app that handles the action. */
  readonly actionId?: string;
  readonly value?: string;
  /** Opens this URL instead of reporting an action. */
  readonly url?: string;
  readonly style?: 'primary' | 'danger' | 'secondary' | 'success' | 'warning';
  readonly appId?: string;
  readonly blockId?: string;
}

/** An image element, inside a `context` block or as a section's accessory. */
export interface UiKitImageElement {
  readonly type: 'image';
  readonly imageUrl: string;
  readonly altText: string;
}

/** Fields every UIKit block may have. */
export interface UiKitBlockBase {
  /** Identifies the block in the actions it reports. */
  readonly blockId?: string;
  /** The app that owns the block. */
  readonly appId?: string;
}

/** A `section`: text, a grid of fields, and an optional accessory. */
export interface UiKitSectionBlock extends UiKitBlockBase {
  readonly type: 'section';
  readonly text?: UiKitText;
  readonly fields?: readonly UiKitText[];
  readonly accessory?: UiKitButton | UiKitImageElement | UiKitElement;
}

/** A horizontal rule. */
export interface UiKitDividerBlock extends UiKitBlockBase {
  readonly type: 'divider';
}

/** Small text and images. */
export interface UiKitContextBlock extends UiKitBlockBase {
  readonly type: 'context';
  readonly elements: readonly (UiKitText | UiKitImageElement)[];
}

/** An image. */
export interface UiKitImageBlock extends UiKitBlockBase {
  readonly type: 'image';
  readonly imageUrl: string;
  readonly altText: string;
  readonly title?: UiKitText;
}

/** A row of interactive elements (buttons, menus…). */
export interface UiKitActionsBlock extends UiKitBlockBase {
  readonly type: 'actions';
  readonly elements: readonly (UiKitButton | UiKitElement)[];
}

/** Any other interactive element (menus, date pickers…), typed loosely. */
export interface UiKitElement {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Any other block type (`preview`, `callout`, `input`…), typed loosely. */
export interface UiKitOtherBlock extends UiKitBlockBase {
  readonly type: string;
  readonly [field: string]: unknown;
}

/**
 * A UIKit block of a message (`blocks`), as in Rocket.Chat's REST `chat.sendMessage`
 * document: `{ type: 'section', text: { type: 'mrkdwn', text: '*bold*' } }`,
 * `{ type: 'divider' }`…
 */
export type UiKitBlock =
  | UiKitSectionBlock
  | UiKitDividerBlock
  | UiKitContextBlock
  | UiKitImageBlock
  | UiKitActionsBlock
  | UiKitOtherBlock;

/** A file attached to a message. */
export interface IMessageFile {
  readonly _id: string;
  readonly name: string;
  readonly type: string;
  readonly size?: number;
  readonly [field: string]: unknown;
}

/**
 * A Rocket.Chat message, as `sendMessage`, `getSingleMessage`, `loadHistory` and the room
 * stream deliver it, with every date a real `Date`.
 *
 * Fields not named here are kept under their own names (the index signature); they are
 * typed `unknown` because the server and its apps add fields freely.
 */
export interface IMessage {
  /** The message id: a 17-character Meteor id (the client's, when it chose one) or a 24-hex ObjectId. */
  readonly _id: string;
  /** The room's id. */
  readonly rid: string;
  /** The text (`''` for messages that only carry attachments or a system event). */
  readonly msg: string;
  /** When the message was sent. */
  readonly ts: Date;
  /** The author. */
  readonly u: IUserRef;
  /** Last change to the stored document (absent in some results, see the research notes). */
  readonly _updatedAt?: Date;
  /** A system message type (`'uj'` user joined, `'rm'` removed…); absent for user messages. */
  readonly t?: string;
  /** When the message was last edited. */
  readonly editedAt?: Date;
  /** Who edited it. */
  readonly editedBy?: Pick<IUserRef, '_id' | 'username'>;
  /** `true` when pinned. */
  readonly pinned?: boolean;
  /** When it was pinned. */
  readonly pinnedAt?: Date;
  /** Who pinned it. */
  readonly pinnedBy?: Pick<IUserRef, '_id' | 'username'>;
  /** Thread parent id, for a reply in a thread. */
  readonly tmid?: string;
  /** `true` when a thread reply is also shown in the room. */
  readonly tshow?: boolean;
  /** For a thread parent: the number of replies. */
  readonly tcount?: number;
  /** For a thread parent: when the last reply came. */
  readonly tlm?: Date;
  /** For a thread parent: ids of the users who replied. */
  readonly replies?: readonly string[];
  /** For a discussion's parent message: the discussion room's id. */
  readonly drid?: string;
  /** For a discussion's parent message: the number of messages in it. */
  readonly dcount?: number;
  /** For a discussion's parent message: when the last message came. */
  readonly dlm?: Date;
  /** URLs found in the text. */
  readonly urls?: readonly IMessageUrl[];
  /** Users mentioned. */
  readonly mentions?: readonly IMessageMention[];
  /** Channels mentioned. */
  readonly channels?: readonly IMessageChannel[];
  /** The parsed text. */
  readonly md?: readonly MarkdownToken[];
  /** Reactions, by emoji (`':thumbsup:'`). */
  readonly reactions?: Readonly<Record<string, IMessageReaction>>;
  /** Attachments. */
  readonly attachments?: readonly IMessageAttachment[];
  /** UIKit blocks. */
  readonly blocks?: readonly UiKitBlock[];
  /** Files. */
  readonly file?: IMessageFile;
  readonly files?: readonly IMessageFile[];
  /** `false` when the message must not be grouped with the previous one. */
  readonly groupable?: boolean;
  /** `true` for an ephemeral message only its recipient sees. */
  readonly private?: boolean;
  /** Users who starred it. */
  readonly starred?: readonly { readonly _id: string }[];
  /** The name shown instead of the sender's (sent by a bot or an integration). */
  readonly alias?: string;
  /** The avatar URL shown instead of the sender's. */
  readonly avatar?: string;
  /** An emoji (`':robot:'`) shown as the avatar. */
  readonly emoji?: string;
  /** Set when sent by a bot integration. */
  readonly bot?: Readonly<Record<string, unknown>>;
  /** End-to-end encryption state: `'pending'` or `'done'`. */
  readonly e2e?: string;
  /** Encrypted content (E2E). */
  readonly content?: Readonly<Record<string, unknown>>;
  readonly customFields?: Readonly<Record<string, unknown>>;
  /** `true` when unread (read receipts enabled). */
  readonly unread?: boolean;
  /** When a video call ended, for call messages. */
  readonly webRtcCallEndTs?: Date;
  /** When the message was deleted, for trash records. */
  readonly _deletedAt?: Date;
  /** Every other field, as the server sent it. */
  readonly [field: string]: unknown;
}

/** The result of a login: what identifies the session and what resumes it later. */
export interface Credentials {
  /** The logged-in user's id. */
  readonly userId: string;
  /** The resume token (secret: never log it). */
  readonly token: string;
  /**
   * When the token expires; `null` when it never does (a personal access token, which the
   * server reports as `{"$date": null}` or leaves out).
   */
  readonly tokenExpires: Date | null;
}

/** A password login by username, optionally with a two-factor code. */
export interface UsernamePasswordLogin {
  readonly username: string;
  readonly password: string;
  /** The two-factor code (TOTP app or e-mail), after a `TwoFactorRequiredError`. */
  readonly code?: string;
}

/** A password login by e-mail address, optionally with a two-factor code. */
export interface EmailPasswordLogin {
  readonly email: string;
  readonly password: string;
  /** The two-factor code (TOTP app or e-mail), after a `TwoFactorRequiredError`. */
  readonly code?: string;
}

/** A login with a resume token or a personal access token. */
export interface ResumeLogin {
  readonly resume: string;
}

/** An LDAP login. The password travels in clear (over TLS): that is how the server takes it. */
export interface LdapLogin {
  readonly ldap: true;
  readonly username: string;
  readonly password: string;
  /** The two-factor code, after a `TwoFactorRequiredError`. */
  readonly code?: string;
}

/** Every way `login()` can log in. */
export type LoginCredentials = UsernamePasswordLogin | EmailPasswordLogin | ResumeLogin | LdapLogin;

/**
 * What `sendMessage` takes: the message, with every field Rocket.Chat's REST
 * `chat.sendMessage` documents. `_id` is chosen by the client when left out.
 *
 * A message whose fields are all ones the realtime `sendMessage` method accepts (`_id`,
 * `rid`, `msg`, `tmid`, `tshow`, `ts`, `t`, `bot`, `content`, `e2e`, `e2eMentions`,
 * `customFields`, `federation`, `groupable`, `sentByEmail`) goes over the WebSocket; one with
 * `attachments`, `blocks`, `alias`, `emoji`, `avatar` (or any other field) goes over the REST
 * API, with the same `_id` and the same guarantees.
 */
export interface OutgoingMessage {
  /** The room's id (not its name: see `getRoomId`). */
  readonly rid: string;
  /**
   * The text, at most `maxMessageLength` UTF-16 code units. Required, except in a message
   * that carries `attachments` or `blocks`.
   */
  readonly msg?: string;
  /** The message id; a fresh 17-character Meteor id when left out. Resending the same id never duplicates. */
  readonly _id?: string;
  /** Thread parent id, to reply in a thread. */
  readonly tmid?: string;
  /** With `tmid`: also show the reply in the room. */
  readonly tshow?: boolean;
  /** The message time; the server keeps it when within 10 s of its clock and refuses it beyond 60 s. */
  readonly ts?: Date;
  /** A message type; leave it out for ordinary messages. */
  readonly t?: string;
  readonly bot?: Readonly<Record<string, unknown>>;
  readonly content?: Readonly<Record<string, unknown>>;
  readonly e2e?: string;
  readonly e2eMentions?: Readonly<Record<string, unknown>>;
  readonly customFields?: Readonly<Record<string, unknown>>;
  readonly federation?: Readonly<Record<string, unknown>>;
  readonly groupable?: boolean;
  readonly sentByEmail?: boolean;
  /** Attachments (sent over REST). */
  readonly attachments?: readonly OutgoingAttachment[];
  /** UIKit blocks (sent over REST). */
  readonly blocks?: readonly UiKitBlock[];
  /**
   * A name shown instead of the sender's (sent over REST). The server requires the
   * `message-impersonate` permission (roles `bot` and `app` by default).
   */
  readonly alias?: string;
  /** An emoji (`':robot:'`) shown as the avatar (sent over REST). */
  readonly emoji?: string;
  /**
   * An avatar image URL shown instead of the sender's (sent over REST); needs the
   * `message-impersonate` permission, as `alias` does.
   */
  readonly avatar?: string;
}
