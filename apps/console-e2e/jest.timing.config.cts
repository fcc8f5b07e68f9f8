// `nx run console-e2e:timing`: the budget measurements on 1,000,000 stored rows. Not part of `test`
// (seeding a million rows takes a while); it prints what it measured and fails past a budget.
module.exports = {
  displayName: 'console-timing',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.timing-spec.ts'],
  testTimeout: 900000,
};
