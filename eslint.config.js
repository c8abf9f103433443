import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O, no
// modules that reach the database, Amazon Pay, configuration or the clock-dependent luxon.
// Lint sees direct imports only; test/unit/workflows/bundle.test.ts bundles the workflows
// to catch transitive ones.
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const workflowWall = [
  ...nodeBuiltins,
  'postgres',
  'drizzle-orm',
  'drizzle-orm/*',
  'pino',
  'luxon',
  'zod',
  'node-cron',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'db/migrations/**', 'bench/results/**', '**/*.cjs', '**/*.mjs', 'client/bin.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use a seeded PRNG or crypto; Math.random is non-deterministic in workflows and unseeded elsewhere.' },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: workflowWall.filter((m) => !m.endsWith('/*')),
          patterns: [
            { group: ['drizzle-orm/*'], message: 'Workflows must not touch the database; use an activity.' },
            {
              group: [
                '**/db/**',
                '**/activities/*.js',
                '!**/activities/index.js',
                '**/amazonpay/**',
                '**/config/**',
                '**/simulator/**',
                '**/ipn/**',
                '**/devstack/**',
              ],
              message: 'Workflows import activities by type only and no I/O modules.',
            },
            {
              group: [
                '**/billing/*',
                '!**/billing/types.js',
                '!**/billing/plan-rules.js',
                '!**/billing/vocabulary.js',
                '!**/billing/money.js',
                '!**/billing/permission-end.js',
              ],
              message: 'Workflows may import only the dependency-free billing modules (types, plan-rules, vocabulary, money, permission-end).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts', 'billing/**/*.ts'],
    rules: { 'no-restricted-globals': ['error', { name: 'process', message: 'Pure code takes its inputs as parameters.' }] },
  },
  {
    // Page scripts served to a browser (the billing dashboard): browser globals, no Node.
    files: ['api/dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        document: 'readonly',
        sessionStorage: 'readonly',
        fetch: 'readonly',
        setInterval: 'readonly',
        Node: 'readonly',
        Intl: 'readonly',
        Chart: 'readonly',
      },
    },
  },
);
