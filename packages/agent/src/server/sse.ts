import type { FaultlineEvent } from '@faultline/core';
import type { Context } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { Problem } from '../problem.js';
import type { EventSource } from './run-table.js';

/**
 * The seq to resume after: `Last-Event-ID` (what an EventSource sends on reconnect), else `?after=`,
 * else 0 (everything).
 */
export function resumeAfter(c: Context): number {
  const raw = c.req.header('last-event-id') ?? c.req.query('after') ?? '0';
  if (!/^\d{1,15}$/.test(raw.trim()))
    throw new Problem(
      400,
      'FL_REQUEST',
      `Last-Event-ID / after must be a seq (a whole number), not '${raw.slice(0, 40)}'`,
    );
  return Number(raw.trim());
}

/**
 * Streams a run's events as SSE: `id:` is the seq, `event:` the type, `data:` the event's JSON. A
 * comment every `keepAliveMs` lets the client tell a quiet run from a dead link. The stream ends
 * after `run.finished`.
 */
export function streamEvents(
  c: Context,
  source: EventSource,
  afterSeq: number,
  keepAliveMs: number,
): Response {
  return streamSSE(c, async (s) => {
    let gone = false;
    s.onAbort(() => {
      gone = true;
    });
    // headers and a first byte now, so the client knows the stream is open before the next event
    await s.write(': faultline\n\n');
    const keepAlive = setInterval(() => void s.write(': ka\n\n').catch(() => {}), keepAliveMs);
    try {
      if ('past' in source) {
        for (const e of source.past) if (!gone) await send(s, e);
        return;
      }
      for await (const e of source.live.from(afterSeq)) {
        if (gone) return;
        await send(s, e);
      }
    } finally {
      clearInterval(keepAlive);
    }
  });
}

function send(s: SSEStreamingApi, e: FaultlineEvent): Promise<void> {
  return s.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify(e) });
}
