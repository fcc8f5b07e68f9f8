module.exports = {
  displayName: 'fault-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // Starts a fresh tmp/fault-results.json for the run; each scenario adds its figures to it.
  globalSetup: '<rootDir>/src/support/global-setup.ts',
  // Prints all scenarios' FAULT lines together at the end.
  globalTeardown: '<rootDir>/src/support/global-teardown.ts',
  // Real processes killed and restarted under load: generous, but every wait inside has its own
  // deadline, and every load is bounded in time and in requests.
  testTimeout: 120000,
};
