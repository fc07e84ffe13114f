import { expectExportNames } from '@faultline/core/testing';
import { describe, it } from 'vitest';

describe('@faultline/agent exports', () => {
  it('the root: the agent, its server and the client', async () => {
    expectExportNames(await import('@faultline/agent'), [
      'createAgent',
      'serveAgent',
      'remoteInfrastructure',
      'fanOut',
      'openApiDocument',
      'OPERATIONS',
      'DEFAULT_LEASE',
      'DEFAULT_PORT',
      'VERSION',
    ]);
  });
  it('/client: the control plane alone, without the HTTP server', async () => {
    expectExportNames(await import('@faultline/agent/client'), ['remoteInfrastructure', 'fanOut']);
  });
});
