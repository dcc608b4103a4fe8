#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point */
/**
 * `npm start`. With NODE_ENV=production it runs the build (`npm run build` -> dist/src/main.js),
 * so a production process loads no TypeScript tooling: no swc native module, no require hook,
 * no compiler. Otherwise it runs the TypeScript sources through swc (src/cli/register-ts.js, the
 * same light hook as the migrate CLI), so development stays one command with no build step.
 * Either way the service runs in this process, and the npm script `exec`s node in place of its
 * shell: npm passes SIGTERM and SIGINT on to its child, and a shell in between would swallow them
 * (node kept running and holding the port after `kill <npm>`, issue 21).
 *
 * `.env` is read here too (real variables win), so NODE_ENV=production written only in `.env`
 * runs the build like NODE_ENV=production in the environment does.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
require('dotenv').config({ quiet: true });
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
