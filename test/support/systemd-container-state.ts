// Where a container's throwaway state lives, and how a crashed test's containers are found and ended.
// Each container owns <tmpdir>/flnspawn-<name>/ (overlay upper + work dirs, the console log) and a
// state.json naming the test process that owns it and the nspawn process. The overlay itself is mounted
// in nspawn's private mount namespace, so it vanishes with the processes: ending them and removing the
// directory leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every container's state directory starts with this, under os.tmpdir(). */
export const STATE_PREFIX = 'flnspawn-';

interface State {
  owner: number;
  ownerStart: string;
  nspawn?: number;
}

/** A process's start time (field 22 of /proc/PID/stat), to tell it from a later one with a reused pid. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The state directory of container `name`. */
export function stateDir(name: string): string {
  return join(tmpdir(), `${STATE_PREFIX}${name}`);
}

/** Records that this process owns the container in `dir`, run by nspawn process `nspawn`. */
export function writeState(dir: string, nspawn?: number): void {
  const state: State = {
    owner: process.pid,
    ownerStart: startTime(process.pid) ?? '',
    ...(nspawn ? { nspawn } : {}),
  };
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
}

/** The container's PID 1: the child of nspawn that has exec'd systemd (nspawn's own forks come first). */
export function findPid1(nspawn: number): number | undefined {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-P', String(nspawn)], { encoding: 'utf8' });
  } catch {
    return undefined; // pgrep exits 1 when there is no child yet
  }
  for (const pid of out.split('\n').filter(Boolean).map(Number)) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd') return pid;
    } catch {}
  }
  return undefined;
}

/**
 * SIGKILLs the container run by `nspawn` if it still is ours (its command line names `dir`), then
 * removes `dir`. Killing PID 1 from outside ends its whole PID namespace at once.
 */
export function killAndRemove(dir: string, nspawn: number | undefined): void {
  if (nspawn) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${nspawn}/cmdline`, 'utf8');
    } catch {}
    if (cmdline.includes(dir)) {
      const pid1 = findPid1(nspawn);
      for (const pid of [pid1, nspawn]) {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Ends the containers of test processes that are gone (killed before their afterAll ran). */
export function sweepStale(log: (line: string) => void): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(STATE_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    let state: State | undefined;
    try {
      state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    } catch {}
    // no state.json: being created this instant (it is written right after mkdir), or its owner died
    // in between; an old one holds no process and can go
    if (!state) {
      if (Date.now() - statSync(dir).mtimeMs > 60_000) rmSync(dir, { recursive: true, force: true });
      continue;
    }
    // this process's own containers are its exit hook's (and stop()'s), even one still being set up
    if (state.owner === process.pid || startTime(state.owner) === state.ownerStart) continue;
    log(`sweeping ${entry}, left by process ${state.owner}`);
    killAndRemove(dir, state.nspawn);
  }
}

/** The containers of this process that are not stopped yet: dir → current nspawn pid. */
const live = new Map<string, () => number | undefined>();
let hooked = false;

/** Registers a running container so that it is killed if this process exits without stopping it. */
export function track(dir: string, nspawn: () => number | undefined): void {
  live.set(dir, nspawn);
  if (!hooked) {
    hooked = true;
    // 'exit' handlers must be synchronous: no graceful poweroff here, just make sure nothing outlives us
    process.on('exit', () => {
      for (const [d, pid] of live) killAndRemove(d, pid());
    });
  }
}

/** The container in `dir` was stopped. */
export function untrack(dir: string): void {
  live.delete(dir);
}
