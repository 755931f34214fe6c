#!/usr/bin/env node
/**
 * `resilient-stream`: the command-line tool (docs/cli.md). Every command has `--help`; exit codes
 * are in ./exit-codes.ts.
 */
import { Command, CommanderError, Option } from 'commander';
import { FEED_DIALECTS } from '../testing/dialect.js';
import { collectJson, parseDuration, parseInteger, parsePositive } from './duration.js';
import { EXIT } from './exit-codes.js';
import { health, healthUrl } from './health.js';
import { record } from './record.js';
import { serve } from './serve.js';
import { tail } from './tail.js';
import { VENUE_NAMES } from './venue.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  done as asked (stopped by Ctrl-C/SIGTERM, --count or --duration; health ok)
  1  health: the endpoint answered unhealthy
  2  bad usage or could not start (unknown option, invalid value, unreadable file, port in use)
  3  health: no usable answer (refused, timed out, not a health report)
  4  the stream gave up (fatal close or retries exhausted)`;

/** Adds the options `tail` and `record` share. */
function withSessionOptions(command: Command): Command {
  return command
    .option('--subscribe <json>', 'a message to send after every open (repeat for several)', collectJson, [])
    .option('--stale <duration>', 'reconnect when no message arrives for this long (e.g. 10s, 500ms)', parseDuration)
    .option('--count <n>', 'stop after this many messages', parseInteger(1))
    .option('--duration <duration>', 'stop after this long (e.g. 30s)', parseDuration);
}

function program(): Command {
  const root = new Command('resilient-stream')
    .description('Keep WebSocket feeds alive and honest: watch, record, replay and probe them.')
    .showHelpAfterError('(add --help for usage and exit codes)')
    .addHelpText('after', EXIT_CODES_HELP);

  withSessionOptions(root.command('tail').argument('[url]', "ws:// or wss:// URL of the feed (with --venue: default the venue's)"))
    .description('Print every message as a JSON line; on a terminal, a live status line on stderr.')
    .option('--json', 'NDJSON of messages and events on stdout ({"type":"message"|"stale"|…, "at": ms, …})')
    .addOption(new Option('--venue <name>', "a venue preset: its subscribe, heartbeat and data rules (needs --topics)").choices(VENUE_NAMES))
    .option('--topics <list>', "with --venue: comma-separated symbols in the venue's notation (BTCUSDT, BTC-USD)")
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (url: string | undefined, flags, command: Command) => {
      if (flags.venue === undefined && url === undefined) command.error('error: give a <url>, or --venue with --topics', { exitCode: EXIT.USAGE });
      if (flags.venue !== undefined && flags.topics === undefined) command.error('error: --venue needs --topics', { exitCode: EXIT.USAGE });
      if (flags.venue !== undefined && flags.subscribe.length > 0) command.error('error: use --venue or --subscribe, not both', { exitCode: EXIT.USAGE });
      exit(await tail(url, flags));
    });

  withSessionOptions(root.command('record').argument('<url>', 'ws:// or wss:// URL of the feed'))
    .description('Record every frame with its receive time to an NDJSON file (URL credentials redacted).')
    .requiredOption('-o, --output <file>', 'the NDJSON file to write (replaced)')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (url: string, flags) => exit(await record(url, flags)));

  root.command('serve')
    .description('Run the fault-injecting feed server; inject faults with POST /control/<fault>.')
    .addOption(new Option('--dialect <name>', 'wire protocol').choices(FEED_DIALECTS).default('json'))
    .option('--rate <n>', 'data messages per second per subscribed topic', parsePositiveOrZero, 10)
    .option('--port <n>', 'TCP port (0: any free port)', parseInteger(0), 8080)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--topics <list>', 'comma-separated topics that exist (default: any)')
    .option('--replay <file>', 'replay a recording (resilient-stream record) instead of generated data')
    .option('--speed <x>', 'replay speed: 10 plays ten times faster', parsePositive, 1)
    .option('--loop', 'replay again from the start after the last frame')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (flags) => exit(await serve(flags)));

  root.command('health').argument('<url>', 'URL of a serveHealth endpoint (/health is added when there is no path)', healthUrl)
    .description('Probe a /health endpoint: exit 0 when healthy, 1 when not, 3 when unreachable.')
    .option('--timeout <duration>', 'how long to wait for the answer', parseDuration, 5_000)
    .option('--json', 'print the whole report as JSON')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (url: string, flags) => exit(await health(url, flags)));

  return root;
}

function parsePositiveOrZero(text: string): number {
  return text.trim() === '0' ? 0 : parsePositive(text);
}

/** Ends with `code` once output is flushed; a leaked handle cannot keep the process alive past 2 s. */
function exit(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2_000).unref();
}

const cli = program();
cli.exitOverride();
for (const command of cli.commands) command.exitOverride();
try {
  await cli.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help ends with code 0; every other parse error is bad usage.
    exit(error.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
  } else {
    // Could not start: an unreadable replay file, an unwritable output, a port in use.
    process.stderr.write(`resilient-stream: ${error instanceof Error ? error.message : String(error)}\n`);
    exit(EXIT.USAGE);
  }
}
