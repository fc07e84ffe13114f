/**
 * @faultline/agent — the chaos infrastructure as a daemon. The execution plane: `createAgent` (a Hono
 * app over a runtime: HTTP+SSE, bearer token, leases) and `serveAgent`; the daemon's supervisor; and
 * the control plane's client (`remoteInfrastructure`, `fanOut`, also alone in `@faultline/agent/client`).
 * `test/exports.test.ts` holds the list of names, so this API grows only on purpose.
 */
export * from './client.js';
export { type AgentApp, type AgentOptions, createAgent } from './server/agent.js';
export { DEFAULT_LEASE } from './server/lease.js';
export { OPERATIONS, type Operation, openApiDocument } from './server/openapi.js';
export { DEFAULT_PORT, type ServedAgent, type ServeOptions, serveAgent } from './server/serve.js';
export { VERSION } from './version.js';
