/** @type {import('jest').Config} */
const swc = ['@swc/jest', { ...require('./src/cli/swc-options.js'), sourceMaps: 'inline' }];

module.exports = {
  testEnvironment: 'node',
  // oauth4webapi and jose (test-only dependencies) ship ES modules only: swc turns them into CommonJS for jest.
  transform: { '^.+\\.ts$': swc, '/node_modules/(oauth4webapi|jose)/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(oauth4webapi|jose)/)'],
  // ES-module packages (packages/auth-browser) import their siblings as './x.js', as browsers need; jest finds x.ts.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/packages/*/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/reliability/', '<rootDir>/test/expo-web/'],
  // The example Expo app has its own node_modules (and its own jest): never crawled or resolved from here.
  modulePathIgnorePatterns: ['<rootDir>/examples/expo-app/'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
