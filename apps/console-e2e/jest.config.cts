module.exports = {
  displayName: 'console-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // A real browser against the real stack: generous, but every wait inside has its own deadline.
  testTimeout: 120000,
};
