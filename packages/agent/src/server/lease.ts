import { type DurationInput, parseDuration } from '@faultline/core';
import type { Lease, LeaseRequest } from '../wire.js';

/** What an agent grants: the default heartbeat, and the longest expiry (`--lease`). */
export interface LeasePolicy {
  heartbeatMs: number;
  maxExpiryMs: number;
}

/** Defaults of the wire contract: renew every 2 s, abort after 10 s without a renewal. */
export const DEFAULT_LEASE = { heartbeat: '2s', expiry: '10s' } as const;

/** The shortest expiry an agent grants: below it one late packet would abort a healthy run. */
export const MIN_EXPIRY_MS = 200;

/** The agent's policy from its options. */
export function leasePolicy(o: { heartbeat?: DurationInput; expiry?: DurationInput } = {}): LeasePolicy {
  const maxExpiryMs = Math.max(MIN_EXPIRY_MS, parseDuration(o.expiry ?? DEFAULT_LEASE.expiry));
  const heartbeatMs = Math.min(parseDuration(o.heartbeat ?? DEFAULT_LEASE.heartbeat), maxExpiryMs / 2);
  return { heartbeatMs, maxExpiryMs };
}

/**
 * The lease a run gets: what the client asked, capped by the agent's policy. The heartbeat is at
 * most half the expiry, so one lost renewal never expires a lease by itself.
 */
export function grantLease(
  asked: LeaseRequest | undefined,
  policy: LeasePolicy,
): { heartbeatMs: number; expiryMs: number } {
  const expiryMs = Math.min(
    policy.maxExpiryMs,
    Math.max(MIN_EXPIRY_MS, asked?.expiry === undefined ? policy.maxExpiryMs : parseDuration(asked.expiry)),
  );
  const heartbeatMs = Math.min(
    asked?.heartbeat === undefined ? policy.heartbeatMs : Math.max(1, parseDuration(asked.heartbeat)),
    expiryMs / 2,
  );
  return { heartbeatMs, expiryMs };
}

/** One run's lease: calls `onExpire` once, unless renewed within `expiryMs` each time. */
export class LeaseTimer {
  #timer: NodeJS.Timeout | undefined;
  #expiresAt = 0;

  constructor(
    readonly heartbeatMs: number,
    readonly expiryMs: number,
    readonly onExpire: () => void,
  ) {
    this.renew();
  }

  /** Pushes the expiry `expiryMs` from now. */
  renew(): void {
    clearTimeout(this.#timer);
    this.#expiresAt = Date.now() + this.expiryMs;
    this.#timer = setTimeout(() => this.onExpire(), this.expiryMs);
  }

  /** The run ended: no more expiry. */
  stop(): void {
    clearTimeout(this.#timer);
  }

  /** The lease as the wire shows it. */
  toJSON(): Lease {
    return {
      heartbeatMs: this.heartbeatMs,
      expiryMs: this.expiryMs,
      expiresAt: new Date(this.#expiresAt).toISOString(),
    };
  }
}
