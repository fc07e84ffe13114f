import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FaultlineError } from './errors.js';
import { parseNdjson } from './event-stream.js';
import type { FaultlineEvent } from './events.js';

/** Keeps every run's events as `<dir>/<runId>.ndjson`, so a run's log is readable after it ended, with no database. */
export class EventLog {
  readonly dir: string;
  /** How many run logs to keep (oldest pruned first). */
  readonly retain: number;

  constructor(dir: string, opts: { retain?: number } = {}) {
    this.dir = dir;
    this.retain = opts.retain ?? 200;
  }

  /** Opens the log of one run; lines are buffered, not fsync'd (the journal is what must be durable). */
  async open(runId: string): Promise<RunLogWriter> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    return new RunLogWriter(createWriteStream(this.path(runId), { flags: 'a', mode: 0o600 }));
  }

  path(runId: string): string {
    if (!/^[\w.-]+$/.test(runId)) throw new FaultlineError('FL_SPEC', `'${runId}' is not a run id`);
    return join(this.dir, `${runId}.ndjson`);
  }

  /** A run's events, read back from disk. Throws FL_SPEC when there is no log for that run. */
  async read(runId: string, fromSeq = 0): Promise<FaultlineEvent[]> {
    let text: string;
    try {
      text = await readFile(this.path(runId), 'utf8');
    } catch {
      throw new FaultlineError(
        'FL_SPEC',
        `no event log for run '${runId}' in ${this.dir} (pruned, or run elsewhere)`,
      );
    }
    // a run killed mid-line leaves a torn tail: keep the whole lines
    const whole = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    return parseNdjson(whole).filter((e) => e.seq > fromSeq);
  }

  /** Run ids with a log, newest first. */
  async list(): Promise<string[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    const withTimes = await Promise.all(
      files
        .filter((f) => f.endsWith('.ndjson'))
        .map(async (f) => ({ id: f.slice(0, -7), t: (await stat(join(this.dir, f))).mtimeMs })),
    );
    return withTimes.sort((a, b) => b.t - a.t).map((x) => x.id);
  }

  /** Deletes the oldest logs beyond `retain`. */
  async prune(): Promise<number> {
    const ids = await this.list();
    const old = ids.slice(this.retain);
    await Promise.all(old.map((id) => rm(this.path(id), { force: true })));
    return old.length;
  }
}

/** Appends one run's events as NDJSON. */
export class RunLogWriter {
  constructor(readonly stream: WriteStream) {}
  write(e: FaultlineEvent): void {
    this.stream.write(`${JSON.stringify(e)}\n`);
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
