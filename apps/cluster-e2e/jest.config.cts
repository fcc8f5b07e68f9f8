module.exports = {
  displayName: 'cluster-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // One Redis Cluster (6 redis-servers), 2 ingest and 3 worker processes per suite; every wait inside
  // has its own deadline and every load is bounded in time and requests.
  testTimeout: 90000,
};
