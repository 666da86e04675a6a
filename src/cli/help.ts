/**
 * Usage text of the `rocketchat-ddp` command and of each subcommand.
 *
 * @module
 */

const CONNECTION_FLAGS = `Connection (flags win over the environment):
  --url <url>          server URL, http(s):// or ws(s)://         [env RC_URL]
  --user <name>        username or e-mail to log in with          [env RC_USER]
  --password <secret>  password (never printed)                   [env RC_PASSWORD]
  --token <token>      resume or personal access token instead    [env RC_TOKEN]
                       of a password (never printed)`;

/** Usage of each command, by name; `main` is the top-level usage. */
export const USAGE: Readonly<Record<'main' | 'send' | 'listen' | 'serve' | 'demo', string>> = {
  main: `Usage: rocketchat-ddp <command> [options]

Commands:
  send --room <name|id> <text>   send a message, print the stored message as one JSON line
                                 (--attachment-json, --alias, --emoji for rich messages)
  listen --room <name|id>        print one JSON line per message until interrupted
  serve [--port N] [--user name:password]… [--room name]…
                                 run the built-in fake Rocket.Chat server
  demo [text]                    start the fake server, log a bot in, send and receive a message

Run 'rocketchat-ddp <command> --help' for a command's options.
Exit codes: 0 success, 1 failure, 2 usage error.`,

  send: `Usage: rocketchat-ddp send --room <name|id> [options] <text>

Sends <text> to the room and prints the message as the server stored it, as one JSON line.
A message with an attachment, an alias or an emoji goes over the server's REST API
(Rocket.Chat 7.1 and later take these only there), with the same login.

  --room <name|id>          room name (e.g. general) or id (e.g. GENERAL)
  --attachment-json <json>  an attachment, as JSON: {"title":"…","text":"…","color":"#2de0a5",
                            "fields":[{"title":"…","value":"…","short":true}]} or an array of
                            them (repeatable; <text> may then be left out)
  --alias <name>            the name shown instead of the user's (the server requires the
                            message-impersonate permission, which bots have)
  --emoji <:emoji:>         an emoji shown as the avatar, e.g. :robot:

${CONNECTION_FLAGS}`,

  listen: `Usage: rocketchat-ddp listen --room <name|id> [options]

Prints every new or edited message of the room as one JSON line, until interrupted (Ctrl-C).
The connection is kept alive and re-established after network loss.

  --room <name|id>     room name (e.g. general) or id, or __my_messages__

${CONNECTION_FLAGS}`,

  serve: `Usage: rocketchat-ddp serve [--port N] [--host H] [--user name:password]… [--room name]…

Runs the built-in fake Rocket.Chat server and prints one JSON line
{ "url", "users": [{ "username", "password" }], "rooms" } once it listens.
Stops on Ctrl-C.

  --port <N>           port to listen on (default: a free port)
  --host <H>           address to listen on (default: 127.0.0.1)
  --user <name:pass>   add a user (repeatable; default: bot:bot)
  --room <name>        add a public room (repeatable; 'general' always exists)`,

  demo: `Usage: rocketchat-ddp demo [text]

Starts the fake Rocket.Chat server in this process, logs a bot in, sends [text]
(default: "Hello from rocketchat-ddp"), receives it on the room's message stream,
prints both, and exits.`,
};
