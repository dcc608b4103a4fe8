/**
 * `npm run test:expo-web`: the example Expo app (examples/expo-app) exported for the web by Expo's
 * own CLI and driven in the shared Chromium against the real service. It needs the app's
 * dependencies (`npm ci` in examples/expo-app, which .ci/run does), so it is kept out of the plain
 * `jest` run by the root config's testPathIgnorePatterns, like the reliability suite, and reuses
 * the unit suite's global set-up (one PostgreSQL, one Chromium).
 */
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: '../..',
  testMatch: ['<rootDir>/test/expo-web/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  modulePathIgnorePatterns: ['<rootDir>/examples/expo-app/'],
  maxWorkers: 1,
  testTimeout: 180_000,
  verbose: true,
};
