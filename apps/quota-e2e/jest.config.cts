module.exports = {
  displayName: 'quota-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // Real processes behind the real nginx: generous, but every wait inside has its own deadline.
  testTimeout: 120000,
};
