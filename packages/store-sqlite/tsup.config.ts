import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  // stripInternal: the constructors that take a better-sqlite3 connection stay out of the public
  // types, so users need no @types/better-sqlite3 (they use the sqliteJournal/sqliteStore factories)
  dts: { compilerOptions: { composite: false, stripInternal: true } },
  clean: true,
  sourcemap: true,
  target: 'node20',
});
