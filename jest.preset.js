// Shared Jest settings. @swc/jest is used instead of ts-jest because it is about 3x faster here and,
// with the options below, still emits the decorator metadata that class-validator and Nest DI rely on.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

// Map every `@logpipe/*` alias from tsconfig.base.json so specs import libs exactly as apps do.
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&')}$`,
    path.join(__dirname, target),
  ]),
);

module.exports = {
  testEnvironment: 'node',
  reporters: ['default', path.join(__dirname, 'tools/test/results-reporter.js')],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  transform: {
    '^.+\\.[tj]s$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
};
