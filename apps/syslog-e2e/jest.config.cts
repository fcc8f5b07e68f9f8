module.exports = {
  displayName: 'syslog-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // Real processes and real syslog daemons: generous, but every wait inside has its own deadline.
  testTimeout: 180000,
};
