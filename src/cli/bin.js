#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point */
// The package bin (`cathouse-migrate`): registers the TypeScript loader (register-ts.js: swc, no
// type-checking, so start-up does not grow with src/migrations) and runs the CLI.
require('./register-ts.js');
const cli = require('./main.ts');
cli.main(process.argv.slice(2)).then(cli.exitWith, (err) => {
  process.stderr.write(`${(err && err.stack) || String(err)}\n`);
  cli.exitWith(1);
});
