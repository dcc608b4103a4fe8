module.exports = function (api) {
  api.cache(true);
  return {
    // unstable_transformImportMeta: zustand's ES-module build (what Metro picks for the web) reads
    // import.meta.env, which a classic script cannot; without it the web bundle stops at load with
    // "Cannot use 'import.meta' outside a module". Nothing to do with @cathouse/auth-browser.
    presets: [['babel-preset-expo', { unstable_transformImportMeta: true }]],
  };
};
