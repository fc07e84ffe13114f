// Runs the root README's "An experiment in code" block for real, so it cannot rot: a client network
// namespace whose veth is `eth1` (10.0.0.2/24), a server namespace with 10.0.0.7/24 answering
// GET /health on :8080, and the block itself run inside the client namespace as a user would run it.
// Only its durations are shortened (see DURATIONS); every other byte is the README's.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultJournalPath, FileJournal, objectName } from '@faultline/core';
import { scanLeftovers } from '@faultline/faults-linux';
import { makeNetnsPair, waitForLine } from '@faultline/faults-linux/testing';
import { expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
if (!isRoot) console.log('readme-example: skipped, it makes network namespaces and needs root on Linux');

/**
 * The only edits made to the block, each of which must match exactly once (a README edit that breaks
 * one fails the test instead of silently running for a minute): the loss window 30 s → 2 s, the
 * parallel stresses' window (the spec's default, 30 s) made explicit at 2 s, and the run's safety
 * timeout 120 s → 30 s so a hang shows up as an aborted run well before the test's own timeout.
 */
const DURATIONS: ReadonlyArray<readonly [string, string]> = [
  ["duration: '30s',", "duration: '2s',"],
  ['{ weight: 4 }', "{ weight: 4, duration: '2s' }"],
  ['{ weight: 2 }', "{ weight: 2, duration: '2s' }"],
  ['AbortSignal.timeout(120_000)', 'AbortSignal.timeout(30_000)'],
];
/** Appended so the test sees what the README's last line destructures. */
const REPORT = 'console.log(JSON.stringify({ verdict, score, reverts }));\n';

const SERVER = `require('node:http').createServer((q, s) => { s.statusCode = q.method === 'GET' && q.url === '/health' ? 200 : 404; s.end('ok'); }).listen(8080, '10.0.0.7', () => console.log('ready'))`;

function shorten(code: string): string {
  let out = code;
  for (const [from, to] of DURATIONS) {
    expect(out.split(from).length - 1, `the README block contains ${from} exactly once`).toBe(1);
    out = out.replace(from, to);
  }
  return out;
}

/** Pids in a named network namespace, asked from here (inside, `ip netns pids` would list itself). */
function nsPids(ns: string): string[] {
  return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

function comm(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '(gone)';
  }
}

async function must(p: Promise<{ exitCode: number; stderr: string; command: string }>): Promise<void> {
  const r = await p;
  if (r.exitCode !== 0) throw new Error(`${r.command} failed: ${r.stderr}`);
}

it.skipIf(!isRoot)(
  'the README "An experiment in code" block runs as written',
  { timeout: 60_000 },
  async ({ onTestFinished }) => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const block = readme.match(/## An experiment in code\n\n```ts\n([\s\S]*?)```/)?.[1];
    expect(block, 'README has an "An experiment in code" ts block').toBeTruthy();
    const code = `${shorten(block as string)}${REPORT}`;

    // the world the block assumes, in namespaces of our own; destroy() also kills what runs inside
    const pair = await makeNetnsPair({ prefix: 'flrd' });
    const state = mkdtempSync(join(tmpdir(), 'flrd-state-'));
    // inside the repo, so `@faultline/*` resolves as in a checkout (through the @faultline/source condition)
    const file = join(repo, 'examples', `.readme-example-${randomBytes(4).toString('hex')}.ts`);
    onTestFinished(async () => {
      await pair.destroy();
      rmSync(state, { recursive: true, force: true });
      rmSync(file, { force: true });
      for (const ns of [pair.a, pair.b])
        expect(existsSync(`/var/run/netns/${ns}`), `${ns} removed`).toBe(false);
    });
    await must(pair.exec(pair.a, 'ip', ['link', 'set', pair.vethA, 'down']));
    await must(pair.exec(pair.a, 'ip', ['link', 'set', pair.vethA, 'name', 'eth1']));
    await must(pair.exec(pair.a, 'ip', ['addr', 'add', '10.0.0.2/24', 'dev', 'eth1']));
    await must(pair.exec(pair.a, 'ip', ['link', 'set', 'eth1', 'up']));
    await must(pair.exec(pair.b, 'ip', ['addr', 'add', '10.0.0.7/24', 'dev', pair.vethB]));
    const server = pair.spawn(pair.b, process.execPath, ['-e', SERVER]);
    await waitForLine(server, /ready/);
    const before = await pair.exec(pair.a, 'curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--max-time',
      '5',
      'http://10.0.0.7:8080/health',
    ]);
    expect(before.stdout, 'the server answers the client before the run').toBe('200');

    writeFileSync(file, code);
    // while the block runs, watch the client namespace: its loss table and its stress-ng must show up
    // there (so the "nothing left" checks below look where the run acted)
    const seenTables = new Set<string>();
    const seenComms = new Set<string>();
    const watch = setInterval(() => {
      const r = spawnSync('ip', ['netns', 'exec', pair.a, 'nft', 'list', 'tables'], { encoding: 'utf8' });
      for (const t of r.stdout.match(/faultline_\w+/g) ?? []) seenTables.add(t);
      for (const pid of nsPids(pair.a)) seenComms.add(comm(pid));
    }, 250);
    const t0 = Date.now();
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      // nsenter --net, not `ip netns exec`: the latter also remounts /sys, which hides the host's cgroup
      // mounts, and the stresses then fail with FL_CAPABILITY. A host with eth1 keeps its cgroups.
      const p = spawn(
        'nsenter',
        [
          `--net=/var/run/netns/${pair.a}`,
          process.execPath,
          '--import',
          'tsx',
          '--conditions=@faultline/source',
          file,
        ],
        { cwd: repo, env: { ...process.env, FAULTLINE_STATE_DIR: state } },
      );
      const kill = setTimeout(() => p.kill('SIGKILL'), 45_000);
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (c) => {
        clearTimeout(kill);
        resolve({ code: c, stdout, stderr });
      });
    });
    clearInterval(watch);
    console.log(`readme-example: the block ran in ${Date.now() - t0} ms:\n${out.stdout}`);
    expect(out.code, `exit code; stderr:\n${out.stderr}\nstdout:\n${out.stdout}`).toBe(0);

    // stdout: "<seq> <type>" per event, then the appended report
    const lines = out.stdout.trim().split('\n');
    const runs = readdirSync(join(state, 'runs')).map((f) => f.replace(/\.ndjson$/, ''));
    expect(runs, 'one run log').toHaveLength(1);
    const prefix = objectName(runs[0] as string, 'x').replace(/x$/, ''); // faultline_<run8>_
    // on failure, the run's own log says why (the README prints only seq and type)
    const runLog = readdirSync(join(state, 'runs'))
      .map((f) => readFileSync(join(state, 'runs', f), 'utf8'))
      .join('');
    const full = `stdout:\n${out.stdout}\nstderr:\n${out.stderr}\nrun log:\n${runLog}`;
    const last = lines.pop() as string;
    expect(last, `the appended report line\n${full}`).toMatch(/^\{"verdict"/);
    const report = JSON.parse(last) as {
      verdict: string;
      score: unknown;
      reverts: { ok: boolean; kind: string }[];
    };
    const events = lines.map((l) => {
      const m = l.match(/^(\d+) ([a-z_.]+)$/);
      expect(m, `an event line: ${l}`).toBeTruthy();
      return { seq: Number(m?.[1]), type: m?.[2] as string };
    });
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)?.type).toBe('run.finished');
    for (let i = 1; i < events.length; i++) expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
    expect(
      events.filter((e) => e.type === 'fault.injected'),
      full,
    ).toHaveLength(3);
    expect(events.some((e) => e.type === 'probe.result')).toBe(true);

    expect(['Pass', 'Fail'], full).toContain(report.verdict);
    expect(typeof report.score).toBe('number');
    expect(report.reverts.map((r) => r.kind).sort()).toEqual([
      'linux/cpu-stress',
      'linux/memory-stress',
      'linux/network-loss',
    ]);
    for (const r of report.reverts) expect(r, JSON.stringify(r)).toMatchObject({ ok: true });

    expect([...seenTables], 'the loss table seen in the client namespace during the run').toEqual([
      `${prefix}network_loss`,
    ]);
    expect([...seenComms], 'stress-ng seen in the client namespace during the run').toContain('stress-ng');

    // the system after the run: nothing of it left
    const tables = await pair.exec(pair.a, 'nft', ['list', 'tables']);
    expect(tables.exitCode).toBe(0);
    expect(tables.stdout).not.toMatch(/faultline/);
    // the run's stress-ng and its sentinel were started in the client namespace; wait for the sentinel's idle exit
    let pids: string[] = [];
    for (const until = Date.now() + 5000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      pids = nsPids(pair.a);
      if (pids.length === 0) break;
    }
    expect(
      pids.map((p) => `${p} ${comm(p)}`),
      'processes left in the client namespace',
    ).toEqual([]);
    const left = (await scanLeftovers({ namespaces: [pair.a, pair.b], stateDir: state })).filter(
      (l) => l.name.startsWith(prefix) || l.detail.includes(pair.a) || l.detail.includes(pair.b),
    );
    expect(left, 'leftovers of this run (cgroups, stress-ng, nft, qdiscs)').toEqual([]);

    const raw = readFileSync(defaultJournalPath(state), 'utf8');
    expect(raw.match(/"op":"begin"/g)?.length, 'the run journaled its three injections').toBe(3);
    const journal = new FileJournal(defaultJournalPath(state));
    try {
      expect(await journal.pending(), 'journal entries still pending').toEqual([]);
    } finally {
      await journal.close();
    }
  },
);
