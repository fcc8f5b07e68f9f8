// Unit tests of the console's pure modules (URL state, histogram geometry, SSE parsing, time ranges):
// no browser; the real browser runs in apps/console-e2e.
module.exports = {
  displayName: 'console',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  coverageDirectory: '../../coverage/apps/console',
};
