/**
 * `npm run test:reliability`: load and fault tests against real service processes, a real
 * PostgreSQL and a real PgBouncer. They run one file at a time (they measure, and several restart
 * servers), reuse the unit suite's global setup (one embedded PostgreSQL and a migrated template),
 * and are kept out of the plain `jest` run by the root config's testPathIgnorePatterns.
 */
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: '../..',
  testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 120_000,
  verbose: true,
};
