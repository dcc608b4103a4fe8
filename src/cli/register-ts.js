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
const path = require('node:path');
const { createHash } = require('node:crypto');

const OPTIONS = { ...require('./swc-options.js'), sourceMaps: 'inline' };
const ROOT = path.resolve(__dirname, '../..');

/**
 * Compiled files are kept in node_modules/.cache, keyed by the file's path, size and mtime and by
 * the swc version and options: a command that finds every file compiled loads neither @swc/core's
 * native binding nor compiles anything (about a third of `./migrate current`'s start-up). A file
 * that changes gets a new key; a cache that cannot be written is only a slower start.
 */
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'cathouse-register-ts');
const VERSION = (() => {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', '@swc', 'core', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
})();
const SALT = `${VERSION}\0${JSON.stringify(OPTIONS)}`;

let swc;
function transform(source, filename) {
  swc ??= require('@swc/core');
  return swc.transformSync(source, { ...OPTIONS, filename }).code;
}

// Stack traces of a .ts file name its own lines (the compiled code carries an inline map). Not for
// node_modules: with maps on, node reads and parses every package's .js.map as it loads it
// (TypeORM ships one per file), about 15% of a command's CPU time for nothing the user reads.
process.setSourceMapsEnabled(true);
const loadJs = Module._extensions['.js'];
const PACKAGES = `${path.sep}node_modules${path.sep}`;
Module._extensions['.js'] = function compilePackage(module, filename) {
  if (!filename.includes(PACKAGES)) return loadJs(module, filename);
  process.setSourceMapsEnabled(false);
  try {
    return loadJs(module, filename);
  } finally {
    process.setSourceMapsEnabled(true);
  }
};

Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  const stat = fs.statSync(filename);
  const key = createHash('sha1').update(`${SALT}\0${filename}\0${stat.size}\0${stat.mtimeMs}`).digest('hex');
  const cached = path.join(CACHE, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    try {
      code = transform(fs.readFileSync(filename, 'utf8'), filename);
    } catch (err) {
      throw syntaxError(err, filename);
    }
    try {
      fs.mkdirSync(CACHE, { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, cached);
    } catch {
      // read-only node_modules: compile every time
    }
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
