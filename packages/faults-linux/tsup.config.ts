import { copyFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/testing/netns.ts'],
  format: ['esm'],
  dts: { compilerOptions: { composite: false } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // the DNS faults run this script as a separate node process, so it is not bundled: it goes to the
  // root of dist, beside the bundle that holds resolver.ts (which looks for it next to itself)
  onSuccess: () => copyFile('src/net/resolver-server.mjs', 'dist/resolver-server.mjs'),
});
