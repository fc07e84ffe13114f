import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { ConfigError, DEFAULT_PACKS, parseConfig, parseListen, readToken } from './config.js';
import { shippedUnit, systemdUnit } from './unit.js';

describe('faultline-agent command line', () => {
  it('defaults: loopback, the default packs, a 10 s lease, the file journal', () => {
    const cfg = parseConfig([], { FAULTLINE_STATE_DIR: '/srv/fl' });
    expect(cfg).toMatchObject({
      command: 'serve',
      hostname: '127.0.0.1',
      port: 7411,
      stateDir: '/srv/fl',
      lease: '10s',
      heartbeat: '2s',
      journal: 'file',
      packs: DEFAULT_PACKS,
      supervise: false,
      maxActiveRuns: 4,
      maxBodyBytes: 1 << 20,
    });
    expect(DEFAULT_PACKS).toEqual(['@faultline/faults-linux', '@faultline/probes']);
  });

  it('flags, subcommands, and configuration errors that say what to fix', () => {
    const cfg = parseConfig(
      [
        '--listen',
        '[::1]:9000',
        '--pack',
        './mine.js',
        '--no-default-packs',
        '--supervise',
        '--max-body',
        '64KiB',
        '--lease=3s',
      ],
      {},
    );
    expect([cfg.hostname, cfg.port, cfg.packs, cfg.supervise, cfg.maxBodyBytes, cfg.lease]).toEqual([
      '::1',
      9000,
      ['./mine.js'],
      true,
      65536,
      '3s',
    ]);
    expect(parseConfig(['recover', '--state-dir', '/x'], {}).command).toBe('recover');
    expect(parseListen(':7411')).toEqual(['127.0.0.1', 7411]);
    for (const [argv, message] of [
      [['--listen', 'nowhere'], /--listen is HOST:PORT/],
      [['--lease', 'forever'], /--lease: .*not a duration/],
      [['--journal', 'redis'], /--journal is file or sqlite/],
      [['--tls-key', 'k'], /--tls-key and --tls-cert go together/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
    ] as const)
      expect(() => parseConfig([...argv], {}), argv.join(' ')).toThrow(message);
  });

  it('the token: from a file (warned about when others can read it) or the environment, 16+ characters', async () => {
    const dir = await tempDir();
    const file = join(dir, 'token');
    await writeFile(file, 'a-long-enough-token-value\n');
    await chmod(file, 0o600);
    expect(readToken(parseConfig(['--token-file', file], {}), {})).toBe('a-long-enough-token-value');
    expect(readToken(parseConfig([], {}), { FAULTLINE_AGENT_TOKEN: 'from-the-environment' })).toBe(
      'from-the-environment',
    );
    expect(() => readToken(parseConfig([], {}), {})).toThrow(ConfigError);
    expect(() => readToken(parseConfig([], {}), { FAULTLINE_AGENT_TOKEN: 'short' })).toThrow(
      /shorter than 16/,
    );
    expect(() => readToken(parseConfig(['--token-file', join(dir, 'none')], {}), {})).toThrow(/cannot read/);
  });

  it("`faultline-agent unit` writes the shipped unit with this installation's command and flags", () => {
    const shipped = shippedUnit();
    expect(shipped).toMatch(/^ExecStartPre=\/usr\/local\/bin\/faultline-agent recover /m);
    expect(shipped).toMatch(/^Restart=on-failure$/m);
    expect(shipped).toMatch(/^CapabilityBoundingSet=.*CAP_NET_ADMIN.*CAP_SYS_ADMIN/m);
    const argv = [
      '--exec',
      '/opt/node /opt/fl/bin.js',
      '--listen',
      '10.0.0.5:7500',
      '--state-dir',
      '/srv/fl',
      '--pack',
      'my-pack',
      '--lease',
      '20s',
    ];
    const unit = systemdUnit(parseConfig(['unit', ...argv], {}), argv);
    expect(unit).toMatch(
      /^ExecStartPre=\/opt\/node \/opt\/fl\/bin\.js recover --state-dir \/srv\/fl --pack my-pack$/m,
    );
    expect(unit).toMatch(
      /^ExecStart=\/opt\/node \/opt\/fl\/bin\.js --supervise --listen 10\.0\.0\.5:7500 --token-file \/etc\/faultline\/agent\.token --state-dir \/srv\/fl --pack my-pack --lease 20s$/m,
    );
    expect(unit).not.toContain('/usr/local/bin/faultline-agent');
  });
});
