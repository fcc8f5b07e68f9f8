import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // The browser app: no Node built-ins, no server libraries (they would end up in the bundle).
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', '@nestjs/*', '@logpipe/*', 'pg', 'ioredis'], message: 'browser code' },
          ],
        },
      ],
    },
  },
];
