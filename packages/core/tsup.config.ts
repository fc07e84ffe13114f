import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    internal: 'src/internal.ts',
    testing: 'src/testing.ts',
    'revert-child': 'src/testing/revert-child.ts',
    'sentinel-main': 'src/sentinel/sentinel-main.ts',
  },
  format: ['esm'],
  dts: { compilerOptions: { composite: false } },
  clean: true,
  sourcemap: true,
  target: 'node20',
});
