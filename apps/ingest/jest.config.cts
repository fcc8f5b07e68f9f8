module.exports = {
  displayName: 'ingest',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.integration-spec.ts'],
  coverageDirectory: '../../coverage/apps/ingest',
  // @fastify/static (which serves the /docs UI) requires content-disposition, an ES module: Node 20
  // loads it with require(esm), Jest does not, so swc turns it into CommonJS for the tests.
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
};
