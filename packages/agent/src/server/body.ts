import { Problem } from '../problem.js';

/** Limits on a request body. */
export interface BodyLimits {
  /** Larger bodies get 413, whether or not they announce their length. */
  maxBytes: number;
  /** A body not received whole within this many ms gets 408 (a slow client holds no run hostage). */
  timeoutMs: number;
}

/** Deepest nesting of arrays and objects a body may have: a schema walk over more would recurse that deep. */
const MAX_DEPTH = 64;

/**
 * Reads a JSON body within the limits: 413 past `maxBytes`, 408 past `timeoutMs`, 400 for anything
 * that is not UTF-8 JSON of sane depth. An empty body reads as `empty`.
 */
export async function readJson(req: Request, limits: BodyLimits, empty?: unknown): Promise<unknown> {
  const announced = Number(req.headers.get('content-length') ?? '0');
  if (announced > limits.maxBytes) throw tooLarge(limits.maxBytes);
  const text = await readText(req, limits);
  if (text.trim() === '') {
    if (empty !== undefined) return empty;
    throw new Problem(400, 'FL_REQUEST', 'the request needs a JSON body');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Problem(400, 'FL_REQUEST', `the body is not JSON: ${(e as Error).message}`);
  }
  if (depthOver(value, MAX_DEPTH))
    throw new Problem(400, 'FL_REQUEST', `the body nests deeper than ${MAX_DEPTH} levels`);
  return value;
}

async function readText(req: Request, limits: BodyLimits): Promise<string> {
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Problem(408, 'FL_REQUEST', `the body did not arrive within ${limits.timeoutMs} ms`, {
            timeoutMs: limits.timeoutMs,
          }),
        ),
      limits.timeoutMs,
    );
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), late]);
      if (done) break;
      size += value.byteLength;
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
      chunks.push(value);
    }
  } catch (e) {
    void reader.cancel().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new Problem(400, 'FL_REQUEST', 'the body is not UTF-8');
  }
}

function tooLarge(maxBytes: number): Problem {
  return new Problem(413, 'FL_REQUEST', `the body is larger than this agent's limit of ${maxBytes} bytes`, {
    maxBytes,
  });
}

/** True when `value` nests arrays/objects more than `max` deep (iterative: no recursion to overflow). */
function depthOver(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) return true;
    for (const child of Object.values(v))
      if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return false;
}
