/**
 * Every error faultline raises on purpose is a {@link FaultlineError} with a stable `code`.
 * The codes live here, in one registry; `docs/errors.md` documents each (a test checks both agree).
 */
export const ERROR_CODES = {
  FL_TUNABLES: 'A fault or probe was given tunables its schema rejects. Nothing was injected.',
  FL_SPEC: 'An experiment spec is malformed or inconsistent. Nothing was injected.',
  FL_DURATION: 'A duration, size or percent could not be parsed, or is beyond what faultline can honour.',
  FL_UNKNOWN_KIND: 'No registered pack provides this fault or probe kind.',
  FL_DUPLICATE_KIND: 'Two registered definitions claim the same kind.',
  FL_HUB: 'A hub or template could not be loaded or has no such template.',
  FL_CAPABILITY: 'This host cannot run the fault (a kernel feature, a tool or a privilege is missing).',
  FL_INJECT: 'A fault failed while being injected; what was applied is reverted.',
  FL_REVERT: 'A fault could not be reverted after its retries; a person must run the manual commands.',
  FL_PROBE: 'A probe could not be run (not the same as a probe that ran and failed).',
  FL_ABORTED: 'The run was aborted (run.abort, an AbortSignal or a signal to the process).',
  FL_LINK_LOST: 'The control link to a remote infrastructure was lost; the agent reverts within its lease.',
  FL_JOURNAL: 'The rollback journal could not be read or written durably.',
  FL_RECOVERY: 'Recovery could not load the pack that an old journal entry names.',
  FL_AUTH: 'A request to an agent was not authenticated.',
  FL_REQUEST:
    'A request to an agent was malformed (not JSON, too large, too slow, no such route). Nothing ran.',
  FL_NOT_FOUND: 'An agent has no run with that id (never started there, or its log was pruned).',
  FL_BUSY: 'An agent already runs as many experiments as it allows (maxActiveRuns). Nothing ran.',
  FL_PROXY:
    'The fault proxy refused a request: an unknown proxy or toxic, a name taken, bad attributes, a port in use.',
  FL_INTERNAL: 'A bug in faultline: please report it with the run log.',
} as const;

/** A stable error code; see {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The brand every FaultlineError carries. `Symbol.for` gives the same symbol in every copy of this
 * module, so an app holding two copies of @faultline/core (a pack that brought its own) still
 * recognises the other copy's errors, where `instanceof` on the class alone would say no.
 */
const BRAND: unique symbol = Symbol.for('faultline.error');

/** The one error class of faultline: `code` is stable, `message` says what to do, `cause` keeps the origin. */
export class FaultlineError extends Error {
  /**
   * `x instanceof FaultlineError` checks the brand, so it holds for errors made by another copy of
   * @faultline/core too. Subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof (a subclass too)
    return this === FaultlineError ? hasBrand(x) : Function.prototype[Symbol.hasInstance].call(this, x);
  }

  override readonly name = 'FaultlineError';
  readonly code: ErrorCode;
  /** Extra facts for programs (the kind, the issues of a schema, the manual commands, ...). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** The brand {@link isFaultlineError} looks for: on the prototype, so it is not an own property. */
  get [BRAND](): true {
    return true;
  }

  /** A plain JSON form, for events and journals. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details
      ? { code: this.code, message: this.message, details: { ...this.details } }
      : { code: this.code, message: this.message };
  }
}

/**
 * True when `e` is a FaultlineError, optionally of the given code — from this copy of
 * @faultline/core or any other (it checks the `Symbol.for('faultline.error')` brand).
 */
export function isFaultlineError(e: unknown, code?: ErrorCode): e is FaultlineError {
  return hasBrand(e) && (code === undefined || (e as FaultlineError).code === code);
}

function hasBrand(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as { [BRAND]?: unknown })[BRAND] === true;
}

/** The plain JSON form of any thrown value, for events and journal entries. */
export function errorToJSON(e: unknown): { code: string; message: string } {
  if (e instanceof FaultlineError) return { code: e.code, message: e.message };
  if (e instanceof Error) return { code: (e as { code?: string }).code ?? e.name, message: e.message };
  return { code: 'UNKNOWN', message: String(e) };
}
