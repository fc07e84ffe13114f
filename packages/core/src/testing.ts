/**
 * @faultline/core/testing — the contract suites every implementation passes (vitest). Kept out of
 * the main entry so the runtime never loads vitest or child_process.
 */
export { faultContract, type FaultContractOptions } from './testing/fault-contract.js';
export { revertInFreshProcess, type FreshRevertRequest, type FreshRevertResponse } from './testing/fresh-process.js';
