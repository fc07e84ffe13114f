import { FaultlineError } from '@faultline/core';

/** Toxiproxy's error body: `{ "error": message, "status": code }`. */
export interface ApiErrorBody {
  error: string;
  status: number;
}

/**
 * An error the control API answers with Toxiproxy's message and HTTP status. In code it is a
 * FaultlineError `FL_PROXY`; `details` holds the wire body.
 */
export function apiError(error: string, status: number, cause?: unknown): FaultlineError {
  return new FaultlineError('FL_PROXY', error, {
    details: { error, status } satisfies ApiErrorBody,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The wire body of an error (a FaultlineError from {@link apiError}, or anything else as a 500). */
export function apiErrorBody(e: unknown): ApiErrorBody {
  const d = (e as FaultlineError | undefined)?.details as Partial<ApiErrorBody> | undefined;
  if (d && typeof d.error === 'string' && typeof d.status === 'number')
    return { error: d.error, status: d.status };
  return { error: e instanceof Error ? e.message : String(e), status: 500 };
}

/** Toxiproxy's fixed errors, word for word (its api.go). */
export const errors = {
  badBody: (detail: string) => apiError(`bad request body: ${detail}`, 400),
  missingField: (field: string) => apiError(`missing required field: ${field}`, 400),
  proxyNotFound: () => apiError('proxy not found', 404),
  proxyExists: () => apiError('proxy already exists', 409),
  invalidStream: () => apiError('stream was invalid, can be either upstream or downstream', 400),
  invalidToxicType: () => apiError('invalid toxic type', 400),
  toxicExists: () => apiError('toxic already exists', 409),
  toxicNotFound: () => apiError('toxic not found', 404),
};
