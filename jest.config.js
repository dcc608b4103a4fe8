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
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/reliability/'],
  // A package's build output (packages/migrator/dist/package: what npm pack ships) is not a second copy of its sources.
  modulePathIgnorePatterns: ['<rootDir>/packages/[^/]+/dist/'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
