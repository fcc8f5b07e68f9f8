module.exports = {
  displayName: 'k8s-manifests',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  coverageDirectory: '../../coverage/apps/k8s-manifests',
  // Two kustomize renders and a schema check in a child process, on a loaded 2-core machine.
  testTimeout: 60000,
};
