// One lint setup for the whole tree: typescript-eslint's type-checked rules (floating promises
// matter in stream code) plus the package boundaries of DESIGN.md.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      'packages/*/bin/**',
      '**/node_modules/**',
      'coverage/**',
      'eslint.config.js',
      'bench/**/*.mjs',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: [
          './tsconfig.check.json',
          './packages/web/tsconfig.json',
          './packages/web/tsconfig.worker.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // No deep imports across packages: each package's public face is its src/index.ts.
      'no-restricted-imports': ['error', { patterns: ['@hoard/*/*', '../../*/src/*', '../../../*/src/*'] }],
    },
  },
  {
    // The server has nothing to decrypt: it must never import the crypto package.
    files: ['packages/server/**/*.ts', 'packages/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ['@hoard/crypto', '@hoard/client'], patterns: ['@hoard/*/*', '**/crypto/src/**'] },
      ],
    },
  },
  {
    // The CLI's tests and the browser tests start the real server and its fixtures through its test
    // support (tests/architecture.test.ts).
    files: ['packages/cli/src/**/*.test.ts', 'packages/cli/src/testing/**', 'e2e/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@hoard/*/*', '!@hoard/server/testing', '../../*/src/*', '../../../*/src/*'] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'e2e/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
