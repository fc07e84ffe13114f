// The test projects. vitest 4 no longer reads this file by itself: vitest.config.ts imports it
// as `test.projects`. Inline entries with `extends: true` inherit the root settings (conditions).
import { configDefaults, type TestProjectConfiguration } from 'vitest/config';

export default [
  { extends: true, test: { name: 'core', root: './packages/core' } },
  { extends: true, test: { name: 'faults-linux', root: './packages/faults-linux' } },
  { extends: true, test: { name: 'probes', root: './packages/probes' } },
  { extends: true, test: { name: 'store-sqlite', root: './packages/store-sqlite' } },
  { extends: true, test: { name: 'agent', root: './packages/agent' } },
  { extends: true, test: { name: 'proxy', root: './packages/proxy' } },
  { extends: true, test: { name: 'examples', root: './examples' } },
  // the benches' own instruments (bench/lib): their figures are only as good as these
  { extends: true, test: { name: 'bench', root: './bench' } },
  // checks across the packages: the tarballs installed like a user would (packaging.test.ts), every
  // fault of every pack through faultContract, nothing in src importing test/
  {
    extends: true,
    test: { name: 'repo', root: './test', exclude: [...configDefaults.exclude, 'support/**'] },
  },
  // test support shared by several packages' tests (a real systemd in a container), tested on its own
  { extends: true, test: { name: 'support', root: './test/support' } },
] satisfies TestProjectConfiguration[];
