#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point */
// The `cathouse` bin: TypeScript through swc (no type-checking at start), then the CLI.
require('@swc-node/register');
const { main } = require('../src/main.ts');
main(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`cathouse: ${(err && err.stack) || String(err)}\n`);
    process.exitCode = 1;
  },
);
