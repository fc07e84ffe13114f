// The test projects. vitest 4 no longer reads this file by itself: vitest.config.ts imports it
// as `test.projects`. Inline entries with `extends: true` inherit the root settings (conditions).
import type { TestProjectConfiguration } from 'vitest/config';

export default [
  { extends: true, test: { name: 'core', root: './packages/core' } },
  { extends: true, test: { name: 'faults-linux', root: './packages/faults-linux' } },
  { extends: true, test: { name: 'probes', root: './packages/probes' } },
  { extends: true, test: { name: 'store-sqlite', root: './packages/store-sqlite' } },
  { extends: true, test: { name: 'agent', root: './packages/agent' } },
  { extends: true, test: { name: 'examples', root: './examples' } },
  // builds, packs and installs the packages into a temp project, then runs them with plain node
  { extends: true, test: { name: 'packaging', root: './test' } },
] satisfies TestProjectConfiguration[];
