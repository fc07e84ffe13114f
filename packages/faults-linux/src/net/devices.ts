import { createHash } from 'node:crypto';
import { FaultlineError } from '@faultline/core';
import { DEVICE_PREFIX, type NsOptions, nsRun } from './netns.js';

/**
 * The name of a device an injection makes: `faultline` + 6 hex of a hash of the injection's object
 * name and what the device is for (`sink`, or the interface an ifb shapes). Derived from the ids
 * alone, so a revert with no receipt finds it; the full object name goes in the device's alias.
 */
export function deviceName(objectName: string, purpose: string): string {
  return `${DEVICE_PREFIX}${createHash('sha1').update(`${objectName}/${purpose}`).digest('hex').slice(0, 6)}`;
}

/**
 * Makes an ifb device with the injection's name as its alias (`ip link show` and the leftovers scan
 * say whose it is). `up: false` makes a sink: an nft `fwd to` a device that is down steals the
 * packet (the sender sees success) and the device frees it — a silent drop, counted in its TX
 * `dropped`. `up: true` makes a shaping ifb (ingress traffic redirected to it goes through its qdisc).
 */
export async function addIfb(
  name: string,
  alias: string,
  o: NsOptions & { up: boolean; code?: 'FL_INJECT' | 'FL_CAPABILITY' },
): Promise<void> {
  const lines = [`link add name ${name} type ifb`, `link set dev ${name} alias ${alias}`];
  if (o.up) lines.push(`link set dev ${name} up`);
  const r = await nsRun('ip', ['-batch', '-'], { ...o, input: `${lines.join('\n')}\n` });
  if (r.exitCode === 0) return;
  // a retry of the same injection finds its own device: it is ours, and as it should be
  if (/File exists/.test(r.stderr)) {
    if (o.up) await nsRun('ip', ['link', 'set', 'dev', name, 'up'], o);
    return;
  }
  await deleteLink(name, o).catch(() => {});
  const noIfb = /Unknown device type|not supported/i.test(r.stderr);
  throw new FaultlineError(
    noIfb ? 'FL_CAPABILITY' : (o.code ?? 'FL_INJECT'),
    noIfb
      ? `this kernel has no ifb devices (CONFIG_IFB), which faultline needs for ${o.up ? 'ingress shaping' : 'silent egress drops'}: ${r.stderr.trim()}`
      : `could not create the ifb device ${name} (${r.command}): ${r.stderr.trim()}`,
  );
}

/** Deletes a device; one that is already gone is fine (revert is idempotent). */
export async function deleteLink(name: string, o: NsOptions): Promise<void> {
  const r = await nsRun('ip', ['link', 'del', 'dev', name], o);
  if (r.exitCode !== 0 && !/Cannot find device|does not exist/i.test(r.stderr))
    throw new FaultlineError('FL_REVERT', `could not delete the device ${name}: ${r.stderr.trim()}`);
}
