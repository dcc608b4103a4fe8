#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point */
// The package bin (`cathouse-migrate`): registers the TypeScript loader (register-ts.js: swc, no
// type-checking, so start-up does not grow with src/migrations) and runs the CLI.
require('./register-ts.js');
require('./main.ts')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${(err && err.stack) || String(err)}\n`);
      process.exitCode = 1;
    },
  );
