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
  /** The mentioned user's username (`'all'` or `'here'` for those mentions). */
  readonly username?: string;
  /** The mentioned user's display name, when the server sends one. */
  readonly name?: string;
  /** `'user'` or `'team'`. */
  readonly type?: string;
  readonly [field: string]: unknown;
}

/** A channel mentioned in a message (`#general`). */
export interface IMessageChannel {
  /** The room's id. */
  readonly _id: string;
  /** The room's name, as written after `#`. */
  readonly name: string;
  /** The room's display name, when the server sends one. */
  readonly fname?: string;
  readonly [field: string]: unknown;
}

/** A URL found in a message; `meta` is filled later by the server's link preview. */
export interface IMessageUrl {
  /** The URL, as found in the text. */
  readonly url: string;
  /** Preview metadata (`ogTitle`, `pageTitle`…); `{}` until the server has unfurled the URL. */
  readonly meta?: Readonly<Record<string, string>>;
  /** `true` when the URL is not to be unfurled (it was left out of `previewUrls`). */
  readonly ignoreParse?: boolean;
  /** Headers of the page (`contentType`, `contentLength`), once the server has fetched it. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The URL's parts (`host`, `pathname`…), once the server has fetched it. */
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
  /** For federated rooms: the ids of the federation events behind the reactions. */
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
  /** The author's name, shown above the text. */
  readonly author_name?: string;
  /** Makes the author's name a link to this URL. */
  readonly author_link?: string;
  /** A small icon beside the author's name (a URL). */
  readonly author_icon?: string;
  /** The title, shown above the text. */
  readonly title?: string;
  /** Makes the title a link to this URL. */
  readonly title_link?: string;
  /** `true`: a download button beside the title. */
  readonly title_link_download?: boolean;
  /** An image shown in the attachment (a URL). */
  readonly image_url?: string;
  /** The image's MIME type, e.g. `'image/png'`. */
  readonly image_type?: string;
  /** The image's size, in bytes. */
  readonly image_size?: number;
  /** An audio file played in the attachment (a URL). */
  readonly audio_url?: string;
  /** The audio file's MIME type. */
  readonly audio_type?: string;
  /** A video played in the attachment (a URL). */
  readonly video_url?: string;
  /** The video's MIME type. */
  readonly video_type?: string;
  /** A description of the attached file (for an upload: the text sent with it). */
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
  /** Nested attachments (a quoted message's own), sent the same way. */
  readonly attachments?: readonly OutgoingAttachment[];
  readonly [field: string]: unknown;
}

/** A text object of a UIKit block: plain text or Markdown (`'mrkdwn'`). */
export interface UiKitText {
  /** `'plain_text'`, or `'mrkdwn'` for Markdown. */
  readonly type: 'plain_text' | 'mrkdwn';
  /** The text. */
  readonly text: string;
  /** For `plain_text`: turn `:shortcodes:` into emoji. */
  readonly emoji?: boolean;
}

/** A button of a UIKit `actions` block (or a section's accessory). */
export interface UiKitButton {
  /** Always `'button'`. */
  readonly type: 'button';
  /** The button's label. */
  readonly text: UiKitText;
  /** Reported to the app that handles the action. */
  readonly actionId?: string;
  /** Reported with the action, to the app that handles it. */
  readonly value?: string;
  /** Opens this URL instead of reporting an action. */
  readonly url?: string;
  /** How the button looks. */
  readonly style?: 'primary' | 'danger' | 'secondary' | 'success' | 'warning';
  /** The app that handles its action. */
  readonly appId?: string;
  /** The block it belongs to, as the actions it reports name it. */
  readonly blockId?: string;
}

/** An image element, inside a `context` block or as a section's accessory. */
export interface UiKitImageElement {
  /** Always `'image'`. */
  readonly type: 'image';
  /** The image's URL. */
  readonly imageUrl: string;
  /** A text describing the image, for screen readers. */
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
  /** Always `'section'`. */
  readonly type: 'section';
  /** The section's text. */
  readonly text?: UiKitText;
  /** Texts shown as a grid. */
  readonly fields?: readonly UiKitText[];
  /** An element shown beside the text: a button, an image… */
  readonly accessory?: UiKitButton | UiKitImageElement | UiKitElement;
}

/** A horizontal rule. */
export interface UiKitDividerBlock extends UiKitBlockBase {
  /** Always `'divider'`. */
  readonly type: 'divider';
}

/** Small text and images. */
export interface UiKitContextBlock extends UiKitBlockBase {
  /** Always `'context'`. */
  readonly type: 'context';
  /** The texts and images, shown small, in a row. */
  readonly elements: readonly (UiKitText | UiKitImageElement)[];
}

/** An image. */
export interface UiKitImageBlock extends UiKitBlockBase {
  /** Always `'image'`. */
  readonly type: 'image';
  /** The image's URL. */
  readonly imageUrl: string;
  /** A text describing the image, for screen readers. */
  readonly altText: string;
  /** A title shown with the image. */
  readonly title?: UiKitText;
}

/** A row of interactive elements (buttons, menus…). */
export interface UiKitActionsBlock extends UiKitBlockBase {
  /** Always `'actions'`. */
  readonly type: 'actions';
  /** The buttons and other elements, in a row. */
  readonly elements: readonly (UiKitButton | UiKitElement)[];
}

/** Any other interactive element (menus, date pickers…), typed loosely. */
export interface UiKitElement {
  /** The element type, e.g. `'static_select'`, `'datepicker'`, `'overflow'`. */
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Any other block type (`preview`, `callout`, `input`…), typed loosely. */
export interface UiKitOtherBlock extends UiKitBlockBase {
  /** The block type, e.g. `'preview'`, `'callout'`, `'input'`. */
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
  /** The uploaded file's id. */
  readonly _id: string;
  /** The file name. */
  readonly name: string;
  /** The MIME type, e.g. `'image/png'`. */
  readonly type: string;
  /** The size, in bytes. */
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
  /** The files attached; `file` is the main one. */
  readonly files?: readonly IMessageFile[];
  /** `false` when the message must not be grouped with the previous one. */
  readonly groupable?: boolean;
  /** `true` for an ephemeral message only its recipient sees. */
  readonly private?: boolean;
  /** Users who starred it. */
  readonly starred?: readonly {
    /** A user who starred it. */
    readonly _id: string;
  }[];
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
  /** Custom fields set when the message was sent. */
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
  /** The user's username. */
  readonly username: string;
  /** The password; it is sent as its SHA-256 digest, never in clear. */
  readonly password: string;
  /** The two-factor code (TOTP app or e-mail), after a `TwoFactorRequiredError`. */
  readonly code?: string;
}

/** A password login by e-mail address, optionally with a two-factor code. */
export interface EmailPasswordLogin {
  /** The user's e-mail address. */
  readonly email: string;
  /** The password; it is sent as its SHA-256 digest, never in clear. */
  readonly password: string;
  /** The two-factor code (TOTP app or e-mail), after a `TwoFactorRequiredError`. */
  readonly code?: string;
}

/** A login with a resume token or a personal access token. */
export interface ResumeLogin {
  /** A resume token (`credentials.token` of an earlier login) or a personal access token. */
  readonly resume: string;
}

/** An LDAP login. The password travels in clear (over TLS): that is how the server takes it. */
export interface LdapLogin {
  /** Always `true`: selects the LDAP login. */
  readonly ldap: true;
  /** The LDAP username. */
  readonly username: string;
  /** The LDAP password (sent as it is: the server needs it). */
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
  /** Bot metadata, for a message sent on behalf of an integration. */
  readonly bot?: Readonly<Record<string, unknown>>;
  /** The encrypted content of an end-to-end encrypted message. */
  readonly content?: Readonly<Record<string, unknown>>;
  /** End-to-end encryption state: `'pending'` or `'done'`. */
  readonly e2e?: string;
  /** The mentions of an end-to-end encrypted message, whose text the server cannot read. */
  readonly e2eMentions?: Readonly<Record<string, unknown>>;
  /** Custom fields, on servers configured to accept them. */
  readonly customFields?: Readonly<Record<string, unknown>>;
  /** Federation metadata, for federated rooms. */
  readonly federation?: Readonly<Record<string, unknown>>;
  /** `false`: never grouped with the previous message when displayed. */
  readonly groupable?: boolean;
  /** `true` for a message that came in by e-mail. */
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
