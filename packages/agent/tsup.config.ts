import { copyFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', client: 'src/client.ts', bin: 'src/bin.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', client: 'src/client.ts' }, compilerOptions: { composite: false } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // `--journal sqlite` imports it when asked; it is not a dependency (better-sqlite3 compiles natively)
  external: ['@faultline/store-sqlite'],
  // the shipped systemd unit, beside the code that reads it (`faultline-agent unit`)
  onSuccess: () => copyFile('src/daemon/faultline-agent.service', 'dist/faultline-agent.service'),
});
