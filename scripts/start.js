#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point */
/**
 * `npm start`. With NODE_ENV=production it runs the build (`npm run build` -> dist/src/main.js),
 * so a production process loads no TypeScript tooling: no swc native module, no require hook,
 * no compiler. Otherwise it runs the TypeScript sources through swc (src/cli/register-ts.js, the
 * same light hook as the migrate CLI), so development stays one command with no build step.
 * Either way the service runs in this process: signals reach it directly.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
if (process.env.NODE_ENV === 'production') {
  const main = path.join(root, 'dist', 'src', 'main.js');
  if (!fs.existsSync(main)) {
    process.stderr.write(`configuration error: NODE_ENV=production runs the build, and ${path.relative(process.cwd(), main)} is missing: run \`npm run build\` first\n`);
    process.exit(2);
  }
  require(main);
} else {
  require(path.join(root, 'src', 'cli', 'register-ts.js'));
  require(path.join(root, 'src', 'main.ts'));
}
