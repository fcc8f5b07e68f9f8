module.exports = {
  displayName: 'shippers-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // Real processes, real Redis and PostgreSQL: generous, but every wait inside has its own deadline.
  testTimeout: 120000,
};
