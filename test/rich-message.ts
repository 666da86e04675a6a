/**
 * A rich message with every attachment field the REST API documents, shared by the tests of
 * the client's checks, of its REST path and of the fake server's endpoint.
 */

/** When the sample attachment says it was made. */
export const SAMPLE_TS_ISO = '2025-03-14T09:26:53.589Z';

/** An attachment using every documented field; `ts` as the caller needs it (Date, ISO text, ms). */
export function fullAttachment<T>(ts: T) {
  return {
    color: '#2d8a4e',
    text: 'Build 412 passed on main',
    ts,
    thumb_url: 'https://ci.example.com/builds/412/thumb.png',
    message_link: 'https://chat.example.com/channel/general?msg=build412',
    collapsed: false,
    author_name: 'ci-bot',
    author_link: 'https://ci.example.com/',
    author_icon: 'https://ci.example.com/icon.png',
    title: 'Build 412',
    title_link: 'https://ci.example.com/builds/412',
    title_link_download: true,
    image_url: 'https://ci.example.com/builds/412/chart.png',
    audio_url: 'https://ci.example.com/sounds/passed.mp3',
    video_url: 'https://ci.example.com/builds/412/replay.mp4',
    fields: [
      { short: true, title: 'Duration', value: '4 min 12 s' },
      { short: true, title: 'Tests', value: '[846 passed](https://ci.example.com/builds/412/tests)' },
    ],
  };
}

/** Speaking as someone else (needs the `message-impersonate` permission for alias and avatar). */
export const SAMPLE_IDENTITY = {
  alias: 'CI Reporter',
  emoji: ':robot:',
  avatar: 'https://ci.example.com/avatar.png',
} as const;

/** UIKit blocks: a section of markdown, a divider, a section of two fields. */
export const SAMPLE_BLOCKS = [
  { type: 'section', text: { type: 'mrkdwn', text: '*Build 412* passed: `npm test` green' } },
  { type: 'divider' },
  { type: 'section', fields: [{ type: 'mrkdwn', text: '*Branch*' }, { type: 'mrkdwn', text: 'main' }] },
] as const;
