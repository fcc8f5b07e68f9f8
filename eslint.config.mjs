import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/.nx', '**/.stack', '**/.bench', '**/coverage'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      // Boundaries that mean something: apps depend on libs, libs never on apps, and the schema lib
      // (the one definition of a log entry) depends on nothing framework-shaped.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'layer:schema', onlyDependOnLibsWithTags: ['layer:schema'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Config classes annotate `PORT: number = 3000` on purpose: the annotation is what emits the
      // design:type metadata class-transformer uses to convert environment strings.
      '@typescript-eslint/no-inferrable-types': 'off',
    },
  },
  {
    files: ['libs/log-schema/**/*.ts', 'libs/protocols/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'ioredis', 'typeorm', 'pg', 'fastify'],
              message: 'log-schema and the protocol libs stay framework-free (no Nest, no I/O).',
            },
          ],
        },
      ],
    },
  },
  {
    // Ingest reads `logs` through log-query and never writes it: the ORM and the COPY writer behind
    // @logpipe/log-store's main entry would only weigh on its heap (BENCHMARKS.md, 2026-12-04 23:45).
    files: ['apps/ingest/src/**/*.ts', 'libs/log-query/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.integration-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@logpipe/log-store',
              message:
                'Readers import what they need from @logpipe/log-store/write-lanes; the main entry loads TypeORM.',
            },
          ],
          patterns: [
            {
              group: ['typeorm', '@nestjs/typeorm'],
              message: 'Ingest reads `logs` with pg (log-query); it loads no ORM.',
            },
          ],
        },
      ],
    },
  },
];
