import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace.ts';

export default defineConfig({
  // run packages from src: the custom export condition, plus vite's defaults (resolve.conditions
  // alone has no effect in vitest's node environment)
  ssr: { resolve: { conditions: ['@faultline/source', 'module', 'node', 'development|production'] } },
  test: {
    projects,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    include: ['**/*.test.ts'],
  },
});
