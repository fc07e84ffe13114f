/**
 * @faultline/core/testing — the contract suites every implementation passes (vitest), and helpers for
 * tests that call faults directly. Kept out of the main entry so the runtime never loads vitest or
 * child_process.
 */
export { expectExportNames } from './testing/export-names.js';
export {
  type FailingJournal,
  type FailPlan,
  failingJournal,
  type JournalCall,
} from './testing/failing-journal.js';
export { type FaultContractOptions, faultContract } from './testing/fault-contract.js';
export {
  type FreshRevertRequest,
  type FreshRevertResponse,
  revertInFreshProcess,
} from './testing/fresh-process.js';
export {
  type InjectContextOverrides,
  type InjectionFacts,
  injectContext,
  revertContext,
} from './testing/inject-context.js';
export { type JournalUnderTest, journalContract, sampleJournalEntry } from './testing/journal-contract.js';
export { type PackContractOptions, packContract, planHealthCheck } from './testing/pack-contract.js';
export { runProbe } from './testing/run-probe.js';
export { canMount, fillUntilFull, mountSmallTmpfs, type SmallTmpfs } from './testing/tmpfs.js';
