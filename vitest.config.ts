import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the "source" export condition), so tests
// never need a build first and never run stale dist/ code.
export default defineConfig({
  resolve: { conditions: ['source', 'module', 'node', 'default'] },
  // No 'module' condition on the Node side: some packages (AWS SDK v3) point it at ES files that only a
  // bundler can load (extensionless imports); Node's own 'node' / 'default' entries are the right ones.
  ssr: { resolve: { conditions: ['source', 'node', 'default'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tests/**/*.test.ts', 'e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
