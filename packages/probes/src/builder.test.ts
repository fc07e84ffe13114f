import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isFaultlineError, parseTunables, Registry, silentLogger } from '@faultline/core';
import { probeSpecSchema } from '@faultline/core/internal';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import pack, { cmd, http, prometheus, tcp } from './index.js';

describe('probe builders', () => {
  it('http: produces the plain ProbeSpec JSON, also through JSON.stringify', () => {
    const b = http
      .get('http://127.0.0.1:8080/health')
      .expectStatus('==', 200)
      .expectBody('contains', 'ok')
      .mode('Continuous')
      .every('100ms')
      .timeout('2s')
      .attempts(3)
      .name('health');
    const want = {
      name: 'health',
      kind: 'probe/http',
      tunables: {
        method: 'GET',
        url: 'http://127.0.0.1:8080/health',
        expect: {
          status: { type: 'int', criteria: '==', value: 200 },
          body: { type: 'string', criteria: 'contains', value: 'ok' },
        },
      },
      mode: 'Continuous',
      runProperties: { pollingInterval: '100ms', timeout: '2s', attempts: 3 },
    };
    expect(b.build()).toEqual(want);
    expect(JSON.parse(JSON.stringify({ probes: [b] }))).toEqual({ probes: [want] });
    expect(v.safeParse(probeSpecSchema, b.build()).success).toBe(true);
  });

  it('is immutable: a shared base is not changed by what is built from it', () => {
    const base = http.get('http://127.0.0.1/').expectStatus(200);
    const a = base.mode('SOT').name('a');
    const b = base.expectJson('$.status', 'equal', 'up').stopOnFailure();
    expect(base.build()).not.toHaveProperty('mode');
    expect(a.build().mode).toBe('SOT');
    expect(b.build().tunables).toMatchObject({
      expect: {
        status: { value: 200 },
        json: { path: '$.status', comparator: { type: 'string', criteria: 'equal', value: 'up' } },
      },
    });
    expect(b.build().runProperties).toEqual({ stopOnFailure: true });
    expect(a.build().tunables).not.toHaveProperty('expect.json');
    expect(http.get('http://x/').expectJson('$.n', 'between', [1, 2]).build().tunables).toMatchObject({
      expect: { json: { comparator: { type: 'float', criteria: 'between', value: [1, 2] } } },
    });
  });

  it('cmd, tcp, prometheus and the health checks', () => {
    expect(
      cmd(['curl', '-s', 'http://x']).expectStdout('contains', 'x').expectExitCode('==', 0).build(),
    ).toMatchObject({
      kind: 'probe/cmd',
      tunables: {
        command: ['curl', '-s', 'http://x'],
        stdout: { type: 'string', criteria: 'contains', value: 'x' },
        exitCode: { type: 'int', criteria: '==', value: 0 },
      },
    });
    expect(cmd.shell('a | b').namespace('fld_x').build().tunables).toEqual({
      command: 'a | b',
      shell: true,
      namespace: 'fld_x',
    });
    expect(tcp('127.0.0.1', 80).expectBanner('matches', '^220').build()).toMatchObject({
      kind: 'probe/tcp',
      name: 'tcp 127.0.0.1:80',
      tunables: { host: '127.0.0.1', port: 80 },
    });
    expect(
      prometheus('http://p:9090', 'rate(x[1m])').expectValue('<', 0.5).noData('pass').build().tunables,
    ).toEqual({
      endpoint: 'http://p:9090',
      query: 'rate(x[1m])',
      value: { type: 'float', criteria: '<', value: 0.5 },
      noData: 'pass',
    });
  });

  it('refuses bad tunables and run properties where they are written', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'built';
      } catch (e) {
        return isFaultlineError(e) ? e.code : String(e);
      }
    };
    expect(code(() => http.get('not a url').build())).toBe('FL_TUNABLES');
    expect(code(() => prometheus('http://p', 'up').build())).toBe('FL_TUNABLES'); // no expectValue
    expect(code(() => tcp('127.0.0.1', 70000).build())).toBe('FL_TUNABLES');
    expect(code(() => http.get('http://x/').timeout('soon').build())).toBe('FL_SPEC');
    expect(code(() => http.get('http://x/').attempts(0).build())).toBe('FL_SPEC');
    expect(code(() => JSON.stringify(cmd(['true']).name('')))).toBe('FL_SPEC');
  });

  it('a built spec runs through a registry holding the pack', async () => {
    const server = createServer((_q, s) => s.end('service ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const spec = http
        .get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
        .expectBody('contains', 'ok')
        .build();
      const { def } = new Registry().register(pack).probe(spec.kind);
      const out = await def.run({
        tunables: parseTunables(def, spec.tunables),
        signal: AbortSignal.timeout(2000),
        timeoutMs: 2000,
        log: silentLogger,
        runId: 'r',
        stepId: 's',
      });
      expect(out.passed, out.message).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('the pack registers its four kinds (the health checks come with the fault packs)', () => {
    expect(new Registry().register(pack).probeKinds()).toEqual([
      'probe/cmd',
      'probe/http',
      'probe/prometheus',
      'probe/tcp',
    ]);
  });
});
