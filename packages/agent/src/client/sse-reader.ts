import type { IncomingMessage } from 'node:http';
import { createParser } from 'eventsource-parser';

/** How a read of one event-stream response ended. */
export type StreamEnd = 'ended' | 'broken' | 'stalled' | 'finished';

/** What the reader asks of its caller for each `data:` payload. */
export type Accepted = 'next' | 'seen' | 'finished' | 'gap';

/**
 * Reads one SSE response (eventsource-parser) until it ends, breaks, or goes quiet for `staleMs`
 * (a cut link sends no FIN: silence is how it shows). `accept` takes each data payload; `finished`
 * stops the read, `gap` (a hole in the seqs) breaks it so the caller reconnects from the last seq.
 * `onBytes` hears every chunk, keep-alive comments included.
 */
export function readEvents(
  res: IncomingMessage,
  o: { staleMs: number; accept(data: string): Accepted; onBytes(): void },
): Promise<StreamEnd> {
  return new Promise((resolve) => {
    let stall: NodeJS.Timeout | undefined;
    const done = (how: StreamEnd) => {
      clearTimeout(stall);
      res.removeAllListeners('data');
      res.destroy();
      resolve(how);
    };
    const watch = () => {
      clearTimeout(stall);
      stall = setTimeout(() => done('stalled'), o.staleMs);
    };
    const parser = createParser({
      onEvent: (m) => {
        const got = o.accept(m.data);
        if (got === 'finished') done('finished');
        else if (got === 'gap') done('broken');
      },
      onError: () => done('broken'),
    });
    watch();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      o.onBytes();
      watch();
      parser.feed(chunk);
    });
    res.on('end', () => done('ended'));
    res.on('error', () => done('broken'));
    res.on('close', () => done('broken'));
  });
}
