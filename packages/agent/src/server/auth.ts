import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { Problem } from '../problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-token auth. Both sides are hashed first, so the comparison is constant-time whatever the
 * lengths, and any malformed header is a plain 401 (hono's bearer-auth answers 400 for characters
 * outside the token alphabet, which would tell a prober something).
 */
export function bearerAuth(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const given = /^Bearer +(.+)$/i.exec(header)?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="faultline-agent"');
      throw new Problem(
        401,
        'FL_AUTH',
        given === undefined
          ? 'send the agent token: Authorization: Bearer <token> (the agent reads it from --token-file or FAULTLINE_AGENT_TOKEN)'
          : "the bearer token is not this agent's token",
      );
    }
    await next();
  };
}
