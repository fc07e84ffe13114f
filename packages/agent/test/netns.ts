// Agents and control planes as real processes in network namespaces: the agent in one namespace of a
// veth pair, the control plane in the other, so the control link is a real link a test can cut.
// Processes enter a namespace with `nsenter --net` (not `ip netns exec`, which remounts /sys and
// hides the cgroups that the stress faults use).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** The repository root (the processes run from source there). */
export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const CONTROL = fileURLToPath(new URL('./control-plane.ts', import.meta.url));
/** How node runs the packages from source. */
export const FROM_SOURCE = ['--conditions=@faultline/source', '--import', 'tsx'];

/** Root on Linux: what the namespace tests need. */
export const isRoot = process.platform === 'linux' && process.getuid?.() === 0;

/** A child process whose stdout is read line by line. */
export class Proc {
  readonly lines: string[] = [];
  #partial = '';
  #waiters: Array<() => void> = [];
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => this.#feed(d));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => this.#feed(d));
    this.exited = new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    void this.exited.then(() => this.#wake());
  }

  #feed(d: string): void {
    const parts = (this.#partial + d).split('\n');
    this.#partial = parts.pop() ?? '';
    this.lines.push(...parts);
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first line from `from` on matching `re` (resolves with its index too). */
  async waitFor(re: RegExp, ms = 30_000, from = 0): Promise<{ line: string; index: number }> {
    const end = Date.now() + ms;
    for (;;) {
      const index = this.lines.findIndex((l, i) => i >= from && re.test(l));
      if (index >= 0) return { line: this.lines[index]!, index };
      if (!this.alive) throw new Error(`exited before printing ${re}:\n${this.lines.join('\n')}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no line matching ${re} within ${ms} ms:\n${this.lines.join('\n')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  kill(sig: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(sig);
  }
}

/** Runs `node args` inside a named network namespace: from source (tsx), or plain node on dist. */
export function nodeIn(ns: string, args: string[], env: NodeJS.ProcessEnv = {}, fromSource = true): Proc {
  // nsenter execs node itself (no fork), so the child's pid is node's
  const node = [process.execPath, ...(fromSource ? FROM_SOURCE : []), ...args];
  const child = spawn('nsenter', [`--net=/var/run/netns/${ns}`, '--', ...node], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  return new Proc(child);
}

/** A port for an agent: random, so parallel runs on this machine do not collide (namespaces are private anyway). */
export const agentPort = () => randomInt(20_000, 60_000);

/** Starts `faultline-agent` in a namespace and waits until it serves. */
export async function startAgent(
  ns: string,
  o: {
    host: string;
    port: number;
    stateDir: string;
    token: string;
    args?: string[];
    env?: NodeJS.ProcessEnv;
  },
): Promise<{ proc: Proc; url: string }> {
  const proc = nodeIn(
    ns,
    [BIN, '--listen', `${o.host}:${o.port}`, '--state-dir', o.stateDir, ...(o.args ?? [])],
    { FAULTLINE_AGENT_TOKEN: o.token, ...o.env },
  );
  await proc.waitFor(/faultline-agent: listening on/);
  return { proc, url: `http://${o.host}:${o.port}` };
}

/** The control plane (test/control-plane.ts) in a namespace: send it commands, read its JSON lines. */
export class ControlPlane {
  readonly proc: Proc;
  constructor(ns: string) {
    this.proc = nodeIn(ns, [CONTROL]);
  }
  send(cmd: object): void {
    this.proc.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }
  /** Every JSON line so far. */
  messages(): any[] {
    return this.proc.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  }
  /** Waits for the first message matching `pred` (after `from` messages). */
  async next(pred: (m: any) => boolean, ms = 30_000): Promise<any> {
    const { line } = await this.proc.waitFor(
      { test: (l: string) => l.startsWith('{') && pred(JSON.parse(l)) } as RegExp,
      ms,
    );
    return JSON.parse(line);
  }
  close(): void {
    this.proc.kill();
  }
}

/** `nft list tables` in a namespace. */
export function nftTables(ns: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' });
}

/**
 * A poller inside the agent's namespace: it asks /healthz every 5 ms and, at the first answer, reads
 * the nft tables (and the files in `dir`, when given) right then, so the test learns what was in
 * effect when the agent began to serve.
 */
export function healthzWatcher(ns: string, url: string, dir?: string): Proc {
  const script = `
const { execFileSync } = require('node:child_process');
const http = require('node:http');
const url = process.argv[1];
const end = Date.now() + 60000;
const tick = () => {
  if (Date.now() > end) { console.log(JSON.stringify({ timeout: true })); process.exit(1); }
  const req = http.get(url + '/healthz', { timeout: 200 }, (res) => {
    res.resume();
    if (res.statusCode !== 200) return setTimeout(tick, 5);
    const tables = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' });
    const files = process.argv[2] ? require('node:fs').readdirSync(process.argv[2]) : [];
    console.log(JSON.stringify({ servedAt: Date.now(), tables, files }));
    process.exit(0);
  });
  req.on('error', () => setTimeout(tick, 5));
  req.on('timeout', () => req.destroy());
};
tick();`;
  const args = [
    `--net=/var/run/netns/${ns}`,
    '--',
    process.execPath,
    '-e',
    script,
    url,
    ...(dir ? [dir] : []),
  ];
  const child = spawn('nsenter', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Proc(child);
}
