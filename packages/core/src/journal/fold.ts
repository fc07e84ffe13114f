import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { DamagedLine, JournalEntry } from '../journal.js';
import { closeQuietly } from './append-sync.js';
import { applyPatch, isNewer, parseRecord } from './records.js';
import { salvageBegin } from './salvage.js';
import { READ_NOFOLLOW } from './state-dir.js';

const NEWLINE = 0x0a;
const TORN_AFTER_MS = 1_000;

/**
 * The journal's state folded from its JSONL file, kept between reads: the file is append-only
 * between compactions, so a later read parses only the bytes appended since (by any process).
 * A different inode (compaction renamed a new file in) or a shorter file means a full re-read.
 * The folded file is held open until the fold moves on or {@link JournalFold.close}: a file system
 * may give a freed inode number to the next file it creates; only a file held open keeps its own.
 */
export class JournalFold {
  /** Entries by id, in the order they were begun. */
  readonly entries = new Map<string, JournalEntry>();
  /** Bytes of complete lines consumed; a torn last line starts here. */
  offset = 0;
  /** Lines of the folded file that did not parse, in order (what a compaction keeps aside). */
  readonly damaged: DamagedLine[] = [];
  #ino = -1;
  #dev = -1;
  /**
   * Our descriptor of the folded file: while it is open no other file can have its inode number,
   * which makes an equal number mean "the same file, grown". Unheld, ext4 gives the number to the
   * next compaction's temp file at once, and reading on at `offset` in that file skipped entries
   * (and a compaction from that fold dropped them from the journal). Undefined when the path
   * already named another file: the next refresh reads afresh.
   */
  #held: number | undefined;
  #line = 0;
  #mtimeMs = 0;
  // (inode:offset) of bad lines already reported, so each is reported once per file
  readonly #warned = new Set<string>();

  constructor(
    readonly path: string,
    readonly onWarning: (message: string) => void,
    /** Told about each damaged line once per file. */
    readonly onDamage: (line: DamagedLine) => void = () => {},
  ) {}

  /** Brings the fold up to date from an open descriptor of the journal (read access needed). */
  refreshFromFd(fd: number): { size: number; ino: number } {
    const st = fstatSync(fd);
    this.#mtimeMs = st.mtimeMs;
    if (this.#held === undefined || st.ino !== this.#ino || st.dev !== this.#dev || st.size < this.offset) {
      this.#reset(st.ino, st.dev);
      this.#hold(st.ino, st.dev);
    }
    if (st.size > this.offset) {
      const buf = Buffer.allocUnsafe(st.size - this.offset);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
      this.#ingest(buf.subarray(0, got));
    }
    return { size: st.size, ino: st.ino };
  }

  /** Brings the fold up to date from the file at `path` (no file: empty). */
  refresh(): void {
    let fd: number;
    try {
      fd = openSync(this.path, READ_NOFOLLOW);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.#reset(-1, -1);
      return;
    }
    try {
      this.refreshFromFd(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Takes lines this process has just appended at `at` without reading them back, when nothing
   * else was appended in between (`at` is where the fold stopped, the file now ends right after
   * them); else they are read back with the next refresh.
   */
  appendOwn(ino: number, at: number, end: number, bytes: number, lines: number, apply: () => void): void {
    if (ino !== this.#ino || at !== this.offset || end !== at + bytes) return;
    apply();
    this.offset = end;
    this.#line += lines;
  }

  /** Releases the folded file; the next refresh reads afresh. */
  close(): void {
    this.#reset(-1, -1);
  }

  #reset(ino: number, dev: number): void {
    this.entries.clear();
    this.damaged.length = 0;
    this.offset = 0;
    this.#line = 0;
    this.#ino = ino;
    this.#dev = dev;
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) closeQuietly(held);
  }

  /**
   * Holds the file just read (inode `ino`): our own descriptor of the path, if the path still names
   * it — two files open at once never share a number. Else (a compaction renamed another file in
   * meanwhile) none, and the caller's descriptor keeps the number ours only until it closes it.
   */
  #hold(ino: number, dev: number): void {
    let fd: number;
    try {
      fd = openSync(this.path, READ_NOFOLLOW);
    } catch {
      return; // unheld: read afresh next time
    }
    try {
      const st = fstatSync(fd);
      if (st.ino === ino && st.dev === dev) {
        this.#held = fd;
        return;
      }
    } catch {
      // unheld, as below
    }
    closeQuietly(fd);
  }

  #ingest(buf: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, start);
      if (nl < 0) break;
      this.#line++;
      const text = buf.toString('utf8', start, nl).trim();
      if (text !== '') this.#applyLine(text, this.offset + start);
      start = nl + 1;
    }
    this.offset += start;
    // left unconsumed: when the writer's next append completes the line, it is read again. A write
    // in progress can look the same for a moment (reads do not wait for writes), so a fresh file is
    // given a second before its incomplete tail is called torn.
    if (
      start < buf.length &&
      Date.now() - this.#mtimeMs >= TORN_AFTER_MS &&
      buf.subarray(start).toString('utf8').trim() !== ''
    ) {
      this.#warnOnce(
        this.offset,
        `ignored an incomplete last line at byte ${this.offset} of ${this.path} (a write torn by a crash)`,
      );
    }
  }

  #applyLine(text: string, at: number): void {
    const rec = parseRecord(text);
    if (!rec) {
      this.#damagedLine(text, at);
      return;
    }
    if (rec.op === 'begin') {
      // the first begin of an id wins: a second one is a racing duplicate or a re-append after compaction
      if (!this.entries.has(rec.entry.id)) this.entries.set(rec.entry.id, rec.entry);
      return;
    }
    const current = this.entries.get(rec.id);
    // no entry: it was reverted and compacted away before this late update. An older stamp: the
    // line was re-appended after a compaction, behind later updates; it must not undo them
    if (current && isNewer(rec.at, current.updatedAt))
      this.entries.set(rec.id, applyPatch(current, rec.patch, rec.at));
  }

  /**
   * A line that does not parse is never dropped silently: it is reported (once per file), kept for
   * the next compaction to copy aside, and if it was an entry's begin, the entry is rebuilt from what
   * can still be read, so that recovery reverts it or says exactly what to look for.
   */
  #damagedLine(text: string, at: number): void {
    const line = this.#line;
    const salvaged = salvageBegin(text, `rebuilt from damaged line ${line} (byte ${at}) of ${this.path}`);
    // the first begin of an id wins, as for good lines
    const rebuilt = salvaged && !this.entries.has(salvaged.id) ? salvaged : undefined;
    if (rebuilt) this.entries.set(rebuilt.id, rebuilt);
    const damaged: DamagedLine = {
      journal: this.path,
      line,
      byte: at,
      text: text.length > 300 ? `${text.slice(0, 300)}…` : text,
      ...(rebuilt ? { entryId: rebuilt.id } : {}),
    };
    this.damaged.push({ ...damaged, text });
    const key = `${this.#ino}:${at}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.onDamage(damaged);
    this.onWarning(
      `line ${line} (byte ${at}) of ${this.path} is damaged and cannot be parsed; the other lines are intact. ` +
        (rebuilt
          ? `It began entry ${rebuilt.id} (${rebuilt.kind}, objects named ${rebuilt.objectName}): rebuilt from what could be read, recovery treats it as possibly in effect. `
          : '') +
        `The next compaction copies it to ${this.path}.corrupt-<time> before dropping it.`,
    );
  }

  #warnOnce(at: number, message: string): void {
    const key = `${this.#ino}:${at}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.onWarning(message);
  }
}
