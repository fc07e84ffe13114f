// The life of one booted container: launch nspawn, wait for its systemd, follow it through reboots
// (nspawn exits with 133 and is launched again on the same upper dir), power it off.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ExecOptions, type ExecResult, nsenterExec } from './nsenter-exec.js';
import { findPid1, killAndRemove, untrack, writeState } from './systemd-container-state.js';

/** A booted container. */
export interface SystemdContainer {
  /** The machine name, also its host name. */
  readonly name: string;
  /** Host pid of the container's systemd; a new one after each reboot. */
  readonly pid1: number;
  /** The container's / seen from the host (/proc/PID1/root): read and write its files there. */
  readonly rootDir: string;
  /** Runs argv (no shell) in all of PID 1's namespaces with a clean env; rejects only on timeout. */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** `systemctl ...args` in the container. */
  systemctl(...args: string[]): Promise<ExecResult>;
  /** A real reboot of the container's systemd (units start again, ExecStartPre included); its disk stays. */
  reboot(): Promise<void>;
  /** Powers off, waits for nspawn to exit, removes the container's temp dir. Idempotent. */
  stop(): Promise<void>;
}

// nspawn runs in a mount namespace of its own: the overlay is mounted there and disappears with it
// (a crashed test leaves no mount behind), and /run/systemd/nspawn gets a private tmpfs because nspawn
// keeps per-machine state there that it refuses to remove when /run is not a tmpfs (as on this machine)
const LAUNCH = `set -e
mkdir -p /run/systemd/nspawn
mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
shift 3
exec systemd-nspawn -D "$@"`;
/** nspawn's exit status when the container rebooted and --keep-unit asks the caller to restart it. */
const REBOOTED = 133;
/** systemd's poweroff signal: glibc's SIGRTMIN is 34 (node has no name for real-time signals). */
const SIGRTMIN_PLUS_4 = 38;

/** One container; `launchArgs` are LAUNCH's: image, upper, work, root, then nspawn's options. */
export class Machine implements SystemdContainer {
  #child: ChildProcess | undefined;
  #pid1 = 0;
  /** Why nspawn is gone for good (not a reboot). */
  #gone: string | undefined;
  #ready: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly launchArgs: string[],
    private readonly bootTimeoutMs: number,
    private readonly log: (line: string) => void,
  ) {}

  get pid1(): number {
    return this.#pid1;
  }
  get rootDir(): string {
    return `/proc/${this.#pid1}/root`;
  }
  /** The nspawn process of the current boot. */
  get nspawnPid(): number | undefined {
    return this.#child?.pid;
  }

  /** Launches nspawn and resolves once systemd says running or degraded. */
  boot(): Promise<void> {
    this.#ready = this.#boot();
    this.#ready.catch(() => {}); // a failed reboot is reported by reboot(), or by the next exec
    return this.#ready;
  }

  #launch(): void {
    const out = openSync(join(this.dir, 'console.log'), 'a');
    const argv = ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', LAUNCH, 'sh'];
    // its own session: a signal to the test's process group does not reach it
    const child = spawn('unshare', [...argv, ...this.launchArgs], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    child.unref();
    this.#child = child;
    this.#pid1 = 0;
    writeState(this.dir, child.pid);
    child.on('error', (e) => {
      this.#gone ??= `could not start nspawn: ${e.message}`;
    });
    child.on('exit', (code, signal) => {
      if (code === REBOOTED && !this.#stopping) this.boot();
      else this.#gone ??= `nspawn exited (${signal ?? `status ${code}`})`;
    });
  }

  async #boot(): Promise<void> {
    const started = Date.now();
    this.#launch();
    let state = '';
    while (Date.now() - started < this.bootTimeoutMs) {
      if (this.#gone) throw await this.#error(`${this.#gone} before systemd was running`);
      this.#pid1 ||= findPid1(this.#child!.pid!) ?? 0;
      if (this.#pid1) {
        const asked = this.exec(['systemctl', 'is-system-running'], { timeoutMs: 10_000 });
        state = (await asked.catch(() => ({ stdout: 'no answer' }))).stdout.trim();
        if (state === 'running' || state === 'degraded') {
          this.log(`${this.name}: systemd ${state} ${Date.now() - started} ms after launch`);
          return;
        }
      }
      await sleep(100);
    }
    throw await this.#error(
      `systemd not running within ${this.bootTimeoutMs} ms (last: ${state || 'no PID 1'})`,
    );
  }

  /** An error with what a reader needs to see why: failed units, the journal's and the console's tails. */
  async #error(what: string): Promise<Error> {
    const ask = async (argv: string[]) =>
      this.#pid1 && !this.#gone ? (await this.exec(argv).catch((e) => ({ stdout: String(e) }))).stdout : '';
    const journal = await ask(['journalctl', '-n', '30', '--no-pager', '-o', 'short-monotonic']);
    const failed = await ask(['systemctl', '--failed', '--no-legend']);
    const jobs = await ask(['systemctl', 'list-jobs', '--no-legend']); // what a boot still waits for
    const console = await readFile(join(this.dir, 'console.log'), 'utf8').catch(() => '');
    return new Error(
      `container ${this.name}: ${what}.\nfailed units: ${failed || '-'}\njobs: ${jobs || '-'}\n` +
        `journal tail:\n${journal || '-'}\n` +
        `console tail:\n${console.split('\n').slice(-20).join('\n')}`,
    );
  }

  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    if (!this.#pid1)
      return Promise.reject(new Error(`${this.name} is not running (${this.#gone ?? 'booting'})`));
    return nsenterExec(this.#pid1, argv, opts);
  }

  systemctl(...args: string[]): Promise<ExecResult> {
    return this.exec(['systemctl', ...args]);
  }

  async reboot(): Promise<void> {
    const before = this.#child;
    const started = Date.now();
    const asked = await this.systemctl('reboot'); // queues the job and returns; nspawn then exits with 133
    if (asked.exitCode !== 0) throw new Error(`${this.name}: systemctl reboot failed: ${asked.stderr}`);
    while (this.#child === before && !this.#gone) {
      if (Date.now() - started > this.bootTimeoutMs)
        throw await this.#error('reboot: nspawn did not restart');
      await sleep(50);
    }
    if (this.#gone) throw await this.#error(`reboot: ${this.#gone} instead of restarting`);
    await this.#ready;
    this.log(`${this.name}: rebooted in ${Date.now() - started} ms`);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const started = Date.now();
    const child = this.#child;
    const running = () => child && child.exitCode === null && child.signalCode === null;
    const exited = (ms: number) =>
      running()
        ? Promise.race([new Promise((r) => child!.once('exit', () => r(true))), sleep(ms, false)])
        : true;
    if (child && running()) {
      // poweroff; while PID 1 is not known yet (mid-boot), nspawn turns SIGTERM into a halt
      try {
        if (this.#pid1) process.kill(this.#pid1, SIGRTMIN_PLUS_4);
        else process.kill(child.pid!, 'SIGTERM');
      } catch {} // it ended on its own meanwhile
      if (!(await exited(20_000))) {
        this.log(`${this.name}: no poweroff within 20 s, killing it`);
        killAndRemove(this.dir, child.pid);
        await exited(5_000);
      }
    }
    killAndRemove(this.dir, undefined);
    untrack(this.dir);
    this.#pid1 = 0;
    this.#gone ??= 'stopped';
    this.log(`${this.name}: stopped in ${Date.now() - started} ms`);
  }
}
