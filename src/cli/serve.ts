import { createFeedServer, type FeedDialect } from '../testing/index.js';
import { readRecording, replayRecording } from '../testing/replay.js';

/** Flags of `serve`. */
export interface ServeFlags {
  readonly dialect: FeedDialect;
  readonly rate: number;
  readonly port: number;
  readonly host: string;
  readonly topics?: string;
  readonly replay?: string;
  readonly speed: number;
  readonly loop?: boolean;
}

/**
 * `resilient-stream serve`: the fault-injecting feed server in the foreground, faults over HTTP
 * (`POST /control/<fault>`). With `--replay`, a recording's frames are played back instead of
 * generated data (clock starting at the first connection, spacing divided by `--speed`).
 * Runs until SIGINT or SIGTERM.
 */
export async function serve(flags: ServeFlags, log: { write(text: string): unknown } = process.stdout): Promise<number> {
  const frames = flags.replay === undefined ? undefined : await readRecording(flags.replay);
  const topics = flags.topics?.split(',').map((topic) => topic.trim()).filter((topic) => topic !== '');
  const feed = await createFeedServer({
    dialect: flags.dialect,
    port: flags.port,
    host: flags.host,
    messagesPerSecond: frames === undefined ? flags.rate : 0,
    ...(topics !== undefined && topics.length > 0 ? { topics } : {}),
  });
  const replay = frames === undefined ? undefined : replayRecording(feed, frames, { speed: flags.speed, loop: flags.loop === true });
  const what = frames === undefined ? `${flags.dialect} dialect, ${flags.rate} msg/s per subscribed topic` : `replaying ${frames.length} frame(s) at ${flags.speed}x`;
  log.write(`feed ${feed.url} (${what})\ncontrol ${feed.httpUrl}/control/state\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  replay?.stop();
  await feed.close();
  return 0;
}
