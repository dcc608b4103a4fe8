import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'packages/*/dist/', 'test-artifacts/', '.data/', 'coverage/', 'scratch/', 'bench/results.*', 'examples/expo-app/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // CommonJS configuration files (jest) load their siblings with require().
    files: ['**/*.config.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The example app runs as plain ES modules in the browser.
    files: ['examples/browser/public/**/*.js'],
    languageOptions: { sourceType: 'module', globals: { document: 'readonly', fetch: 'readonly', FormData: 'readonly', globalThis: 'readonly' } },
  },
  {
    // Fixture migrations in the shapes other projects write, compiled CommonJS included.
    files: ['packages/migrator/test/fixtures/**/*.js'],
    languageOptions: { globals: { exports: 'writable' } },
  },
  {
    files: ['src/migrations/**'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
);
