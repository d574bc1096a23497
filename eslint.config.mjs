// Lint: typescript-eslint's type-aware recommended rules over src/, media/src/, test/ and scripts/,
// and the import table between folders (scripts/lint/boundaries.mjs, shown in the README).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { plugin as locktrace } from './scripts/lint/boundaries.mjs';

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'test/fixtures/**',
      'test/workspace/**',
      'bench-out/**',
      'test-artifacts/**',
      '**/*.d.ts',
      'wasm/**',
    ],
  }, // wasm/: AssemblyScript, checked by its compiler
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // event kinds are const enum values stored in Uint8Array columns: every read is a number compared with EventKind
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },
  // the debug adapter's custom events reach features through LocktraceContext.onReplayState, the one subscriber
  {
    files: ['src/**/*.ts'],
    ignores: ['src/vscode/context.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='onDidReceiveDebugSessionCustomEvent']",
          message:
            "Subscribe with ctx.onReplayState (src/vscode/context.ts): it is the extension's one listener to the adapter's custom events.",
        },
      ],
    },
  },
  // which folder may import which
  {
    files: ['**/*.ts'],
    plugins: { locktrace },
    rules: { 'locktrace/boundaries': 'error' },
  },
  // Plain JavaScript (build script, VS Code host runners, setup tests): no type information, Node globals.
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    // package.json has no "type": "module", so .js files are CommonJS and require() is how they import
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
