import { type ErrorCode, FaultlineError, isFaultlineError } from '@faultline/core';
import type { ErrorBody } from './wire.js';

/** HTTP statuses the agent answers errors with. */
export type ErrorStatus = 400 | 401 | 404 | 408 | 409 | 413 | 422 | 500 | 503;

/** The HTTP status of each code a request can fail with; anything else is the agent's own fault (500). */
const STATUS: Partial<Record<ErrorCode, ErrorStatus>> = {
  FL_REQUEST: 400,
  FL_AUTH: 401,
  FL_NOT_FOUND: 404,
  FL_BUSY: 409,
  FL_SPEC: 422,
  FL_TUNABLES: 422,
  FL_DURATION: 422,
  FL_UNKNOWN_KIND: 422,
  FL_HUB: 422,
  // the journal could not be written (a full disk): nothing ran, and another try may work
  FL_JOURNAL: 503,
};

/** A FaultlineError that also says which HTTP status to answer with (408 and 413 are FL_REQUEST too). */
export class Problem extends FaultlineError {
  readonly status: ErrorStatus;
  constructor(status: ErrorStatus, code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details ? { details } : {});
    this.status = status;
  }
}

/** The status and JSON body for any thrown value: FL_ codes keep theirs, the rest is FL_INTERNAL. */
export function errorResponse(e: unknown): { status: ErrorStatus; body: ErrorBody } {
  if (e instanceof Problem) return { status: e.status, body: bodyOf(e) };
  if (isFaultlineError(e)) return { status: STATUS[e.code] ?? 500, body: bodyOf(e) };
  const message = e instanceof Error ? e.message : String(e);
  return {
    status: 500,
    body: { code: 'FL_INTERNAL', message: `FL_INTERNAL: the agent failed: ${message}; please report it` },
  };
}

function bodyOf(e: FaultlineError): ErrorBody {
  return e.details
    ? { code: e.code, message: e.message, details: { ...e.details } }
    : { code: e.code, message: e.message };
}
