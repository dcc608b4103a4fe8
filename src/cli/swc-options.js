'use strict';
/**
 * How this project compiles TypeScript with swc, in one place for every path that does it: the
 * migrate CLI's require hook (register-ts.js), the production build (scripts/build.js) and jest
 * (jest.config.js). They are tsconfig.json's settings: CommonJS, legacy decorators with their
 * metadata (TypeORM reads it), no define semantics for class fields. Each caller adds its own
 * source-map setting.
 */
module.exports = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  swcrc: false,
  configFile: false,
};
