import { silentLogger } from '@faultline/core';
import { expect, it } from 'vitest';
import { faultTarget } from '../../test/fault-target.js';
import { proxyUp } from './proxy-up.js';

const run = (tunables: { control: string; proxy: string }) =>
  proxyUp.run({
    tunables,
    signal: new AbortController().signal,
    timeoutMs: 2000,
    log: silentLogger,
    runId: 'r',
    stepId: 's',
  });

it('probe/proxy-up passes for an enabled proxy, fails for a down, unknown or unreachable one', async () => {
  const t = await faultTarget('tcp');
  try {
    expect((await run(t.tunables)).passed).toBe(true);
    await t.server.proxies.update('p', { enabled: false });
    expect(await run(t.tunables)).toMatchObject({
      passed: false,
      message: "proxy 'p' is down (enabled: false)",
    });
    expect(await run({ ...t.tunables, proxy: 'nope' })).toMatchObject({
      passed: false,
      message: 'proxy not found',
    });
  } finally {
    await t.cleanup();
  }
  expect(await run(t.tunables)).toMatchObject({
    passed: false,
    message: `no proxy server at ${t.server.url}`,
  });
});
