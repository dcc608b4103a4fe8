// The frontend's jest set-up (testEnvironment node, babel-jest, the same transformIgnorePatterns):
// nothing in it names @cathouse/auth-browser; jest resolves the package's CommonJS build by itself.
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(js|jsx|ts|tsx)$': 'babel-jest',
  },
  transformIgnorePatterns: ['node_modules/(?!(react-native|@react-native|expo|@expo|react-navigation|@react-navigation|zustand|axios)/)'],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'jsx', 'json', 'node'],
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/jest.setup.js'],
};
