// Jest reporter: writes each project's totals to tmp/test-results/<project>.json so `npm test`
// can print one "N passed, N failed" line over all projects. Creates the folder itself.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class ResultsReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(_contexts, results) {
    const dir = join(__dirname, '..', '..', 'tmp', 'test-results');
    const name = (this.globalConfig.rootDir || 'jest').split('/').slice(-2).join('-');
    mkdirSync(dir, { recursive: true });
    const { numPassedTests, numFailedTests, numRuntimeErrorTestSuites, numTotalTests } = results;
    writeFileSync(
      join(dir, `${name}.json`),
      JSON.stringify({ numPassedTests, numFailedTests, numRuntimeErrorTestSuites, numTotalTests }),
    );
  }
}

module.exports = ResultsReporter;
