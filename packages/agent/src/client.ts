/**
 * @faultline/agent/client — the control plane's side alone (no HTTP server in it): an agent as an
 * `Infrastructure`, and one experiment fanned out over many agents.
 */
export {
  type FanOut,
  type FanOutOptions,
  type FanOutResult,
  fanOut,
  type TaggedEvent,
} from './client/fan-out.js';
export { type RemoteInfrastructure, type RemoteOptions, remoteInfrastructure } from './client/remote.js';
export type { AgentInfo, Lease, RunState, RunStatus } from './wire.js';
