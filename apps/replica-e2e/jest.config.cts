module.exports = {
  displayName: 'replica-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // A private primary and standby, real processes: generous, but every wait inside has its own deadline.
  testTimeout: 120000,
};
