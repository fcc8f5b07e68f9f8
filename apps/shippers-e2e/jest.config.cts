module.exports = {
  displayName: 'shippers-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // The OTLP exporters load node:http with import(), which Jest's CommonJS sandbox refuses
  // (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG); compiled by swc like our code, import() becomes require().
  transformIgnorePatterns: ['/node_modules/(?!@opentelemetry/otlp-exporter-base/)'],
  // Real processes, real Redis and PostgreSQL: generous, but every wait inside has its own deadline.
  testTimeout: 120000,
};
