/**
 * The name of everything an injection creates: `faultline_<runId8>_<stepId>[_<iteration>]`, only
 * `[a-z0-9_]`, at most 48 characters (fits nft tables, cgroups, file names; IFNAMSIZ needs less: a
 * fault naming an interface shortens it itself). Derived from ids alone, so a process that died
 * mid-inject can still be cleaned up by name.
 */
export function objectName(runId: string, stepId: string, iteration = 0): string {
  const run8 = runId
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 8);
  const step = stepId.toLowerCase().replace(/[^a-z0-9]/g, '_');
  const base = `faultline_${run8}_${step}${iteration > 0 ? `_${iteration}` : ''}`;
  return base.slice(0, 48);
}

/** The prefix every faultline object name starts with. */
export const OBJECT_PREFIX = 'faultline_';

/** Journal entry id for an injection. */
export function entryId(runId: string, stepId: string, iteration: number): string {
  return `${runId}:${stepId}:${iteration}`;
}
