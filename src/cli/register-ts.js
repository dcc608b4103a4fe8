'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS require hook */
/**
 * Loads TypeScript for the migrate CLI: swc's transform, without type-checking, with the options
 * of this project's tsconfig (CommonJS, legacy decorators with metadata, no define semantics for
 * class fields; the same as jest.config.js). It replaces `-r @swc-node/register`, which loads the
 * whole TypeScript compiler (about 150 ms) only to read tsconfig.json: start-up matters because
 * every deploy and every developer runs this tool, and it must not grow with src/migrations.
 */
const Module = require('node:module');
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

const OPTIONS = { ...require('./swc-options.js'), sourceMaps: 'inline' };

process.setSourceMapsEnabled(true);

Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  let code;
  try {
    ({ code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...OPTIONS, filename }));
  } catch (err) {
    throw syntaxError(err, filename);
  }
  module._compile(code, filename);
};

/**
 * swc reports a syntax error as a code frame plus a Rust backtrace; callers (the CLI's one-line
 * errors) want the file, the line and the cause: `file:line:column: cause`.
 */
function syntaxError(err, filename) {
  const text = String((err && err.message) || err);
  const cause = (/^\s*x (.+)$/m.exec(text) || [])[1] || text.split('\n')[0];
  const at = /,-\[(.+?):(\d+):(\d+)\]/.exec(text);
  const line = at ? Number(at[2]) : undefined;
  const column = at ? Number(at[3]) : undefined;
  const e = new SyntaxError(`${filename}${line ? `:${line}:${column}` : ''}: ${cause.trim()}`);
  Object.assign(e, { file: filename, line, column, cause: err });
  return e;
}
