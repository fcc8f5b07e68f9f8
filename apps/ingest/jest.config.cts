module.exports = {
  displayName: 'ingest',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.integration-spec.ts'],
  coverageDirectory: '../../coverage/apps/ingest',
  // @fastify/static (which serves the /docs UI) requires content-disposition, an ES module: Node 20
  // loads it with require(esm), Jest does not, so swc turns it into CommonJS for the tests.
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  // Integration specs build the whole app (every protocol module) in beforeAll; on a loaded 2-core
  // machine that passed Jest's default 5 s hook timeout. Each wait inside a test has its own deadline.
  testTimeout: 30000,
};
