/** @type {import('jest').Config} */
const swc = ['@swc/jest', { ...require('./src/cli/swc-options.js'), sourceMaps: 'inline' }];

module.exports = {
  testEnvironment: 'node',
  // oidc-provider (the OpenID provider, issue 27), and oauth4webapi, openid-client and jose (test-only)
  // ship ES modules only: node loads them with require(esm), but jest's module system cannot, so swc
  // turns them into CommonJS here.
  transform: { '^.+\\.ts$': swc, '/node_modules/(oauth4webapi|jose|oidc-provider|openid-client)/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(oauth4webapi|jose|oidc-provider|openid-client)/)'],
  // ES-module packages (packages/auth-browser) import their siblings as './x.js', as browsers need; jest finds x.ts.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/packages/*/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/reliability/', '<rootDir>/test/expo-web/'],
  // A package's build output (packages/migrator/dist/package: what npm pack ships) is not a second copy of its sources;
  // the example Expo app has its own node_modules (and its own jest): never crawled or resolved from here.
  modulePathIgnorePatterns: ['<rootDir>/packages/[^/]+/dist/', '<rootDir>/examples/expo-app/'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
