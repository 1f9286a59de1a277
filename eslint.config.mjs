// Lint: typescript-eslint's recommended rules with type information, the promise rules that catch
// lost money-moving calls, and deterministic workflow code (no Node built-ins, no I/O under src/workflows).
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'worker_threads',
  'zlib',
];

/**
 * One direction of flow, top to bottom: a folder under src/ may import only the rooms below it
 * (docs/architecture.md). Workflows have their own, stricter block further down.
 */
const above = {
  services: ['api'],
  temporal: ['api', 'services'],
  activities: ['api', 'services', 'temporal', 'workflows'],
  db: ['api', 'services', 'temporal', 'workflows', 'activities'],
  providers: ['api', 'services', 'temporal', 'workflows', 'activities', 'db'],
  notifications: ['api', 'services', 'temporal', 'workflows', 'activities', 'db', 'config'],
  observability: ['api', 'services', 'temporal', 'workflows', 'activities', 'db'],
  resources: ['api', 'services', 'temporal', 'workflows', 'activities', 'db', 'providers', 'notifications'],
  i18n: [
    'api',
    'services',
    'temporal',
    'workflows',
    'activities',
    'db',
    'providers',
    'notifications',
    'resources',
    'observability',
    'config',
  ],
  domain: [
    'i18n',
    'api',
    'services',
    'temporal',
    'workflows',
    'activities',
    'db',
    'providers',
    'notifications',
    'resources',
    'observability',
    'config',
  ],
};
const layering = Object.entries(above).map(([room, upper]) => ({
  files: [`src/${room}/**/*.ts`],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: upper.flatMap((name) => [`../${name}`, `../${name}/**`, `../../${name}`, `../../${name}/**`]),
            message: `src/${room} may import only the rooms below it: this one is above (docs/architecture.md, "One direction of flow").`,
          },
        ],
      },
    ],
  },
}));

/** The configuration files at the top of src/ sit low in the house too: below everything that reads config. */
const configFiles = {
  files: ['src/config.ts', 'src/config-error.ts', 'src/temporal-settings.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: [
              'api',
              'services',
              'temporal',
              'workflows',
              'activities',
              'db',
              'providers',
              'observability',
            ].flatMap((name) => [`./${name}`, `./${name}/**`]),
            message: 'Configuration is read by every room, so it may import only notifications and the domain.',
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.tools/**',
      '.data/**',
      'bench-results/**',
      'test-artifacts/**',
      'coverage/**',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  ...layering,
  configFiles,
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins,
            'pg',
            'express',
            'nodemailer',
            'pino',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
          ].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'Workflow code is deterministic: no Node built-ins or I/O; call an activity.',
          })),
          patterns: [
            { group: ['node:*'], message: 'Workflow code is deterministic: no Node built-ins; call an activity.' },
            {
              group: [
                '../db/*',
                '../providers/*',
                '../activities',
                '../activities/*',
                '../api/*',
                '../services/*',
                '../temporal/*',
                '../notifications/*',
                '../../db/*',
                '../../providers/*',
                '../../activities',
                '../../activities/*',
                '../../api/*',
                '../../services/*',
                '../../temporal/*',
                '../../notifications/*',
              ],
              allowTypeImports: true,
              message: 'Workflows reach I/O only through activities (type imports are fine).',
            },
          ],
        },
      ],
    },
  },
);
