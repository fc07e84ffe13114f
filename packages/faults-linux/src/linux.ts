import { type FaultRef, faultRef, type TunablesInput } from '@faultline/core';
import { faults } from './faults.js';

/** A helper's parameters: the fault's tunables as a spec holds them, optional when every one is. */
type HelperArgs<I> = Partial<I> extends I ? [tunables?: I] : [tunables: I];

/** One typed helper per fault of the pack: `linux.networkLoss({ percent: 30 })`. */
export type LinuxHelpers = {
  [K in keyof typeof faults]: (...tunables: HelperArgs<TunablesInput<(typeof faults)[K]>>) => FaultRef;
};

/**
 * Typed helpers that validate tunables where they are written (`FL_TUNABLES`, before anything is
 * journaled or injected) and give the fault's reference for an experiment: `linux.cpuStress({ load: 80 })`.
 * One per fault of the pack, derived from its list; each takes that fault's tunables.
 */
export const linux = Object.fromEntries(
  Object.entries(faults).map(([name, def]) => [name, (tunables = {}) => faultRef(def, tunables)]),
  // Object.fromEntries forgets the keys; they are exactly those of `faults`, which typed the helpers
) as unknown as LinuxHelpers;
