import fc from 'fast-check';

/**
 * Strings that broke or could break parsers, encodings and comparisons: empty, JSON keywords,
 * prototype keys, NUL, BOM, a lone surrogate, SQL and path injection, HTML, bcrypt's 72-byte
 * limit, long and full-width text, and the fuzz owner's address in other cases and with spaces.
 */
export const nasty = fc.constantFrom(
  '',
  ' ',
  'null',
  '__proto__',
  'constructor',
  '\u0000',
  '\uFEFF',
  '\uD800',
  "' OR 1=1 --",
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  'a'.repeat(73),
  'é'.repeat(40),
  'x'.repeat(5000),
  'ＡＢＣ１２３ｆｉ',
  'FUZZ-OWNER@EXAMPLE.COM',
  '  fuzz-owner@example.com  ',
);
