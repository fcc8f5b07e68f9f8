module.exports = {
  displayName: 'protocol-wire-text',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.integration-spec.ts'],
  coverageDirectory: '../../../coverage/libs/protocols/wire-text',
};
