module.exports = {
  displayName: 'infra-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.e2e-spec.ts'],
  // The stack e2e starts PostgreSQL, Redis, two ingest instances, a worker and nginx.
  testTimeout: 180000,
  coverageDirectory: '../../coverage/apps/infra-e2e',
};
