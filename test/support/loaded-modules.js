'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload */
// Preloaded (`node -r`) by test/build.test.ts: when the process exits, writes every module it
// loaded (require.cache) and every native module it mapped to the file named by LOADED_MODULES_FILE.
const fs = require('node:fs');

process.on('exit', () => {
  const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).filter(Boolean);
  fs.writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify({ modules: Object.keys(require.cache), mapped: [...new Set(maps)] }));
});
