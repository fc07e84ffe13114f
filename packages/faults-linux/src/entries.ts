import type * as v from 'valibot';

/**
 * The parsed tunables a set of schema entries gives (defaults applied): the type of the fields that
 * several faults share, derived from their schemas so it is never written twice.
 */
export type EntriesOutput<E extends v.ObjectEntries> = v.InferOutput<v.StrictObjectSchema<E, undefined>>;
