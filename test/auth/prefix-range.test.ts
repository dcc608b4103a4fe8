import { prefixRange } from '../../src/auth/accounts/admin-users';

/** Byte order of UTF-8, the order of the pattern index's ~<~. */
const before = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) < 0;
const inRange = (s: string, r: { lower: string; upper: string | undefined }) => !before(s, r.lower) && (r.upper === undefined || before(s, r.upper));

describe('the range of an admin search by email prefix', () => {
  it('holds every email that starts with the prefix and no other, in byte order', () => {
    const prefixes = ['mia', 'a', 'z', 'mi%', 'a_b', 'jos\u00e9', 'ø', '\u{1F431}', 'x\uFFFF', 'a\u{10FFFF}', 'b\uD7FF'];
    const tails = ['', '.1@mail.example', '\u0000', '~', '\u007f', '\u00e9', '\uFFFF', '\u{10FFFF}', '\u{10FFFF}\u{10FFFF}z'];
    const others = ['', 'm', 'mib', 'mh', 'miA', 'b', '{', 'mi', 'josf', 'jose', 'ù', '\u{1F432}', 'y', 'a\u{10FFFE}', 'b', 'b\uE000', 'b\uD7FE\u{10FFFF}'];
    for (const prefix of prefixes) {
      const range = prefixRange(prefix);
      for (const tail of tails) expect([prefix + tail, inRange(prefix + tail, range)]).toEqual([prefix + tail, true]);
      for (const other of others) {
        if (!other.startsWith(prefix)) expect([prefix, other, inRange(other, range)]).toEqual([prefix, other, false]);
      }
    }
  });

  it('moves the last character on to the next code point, skipping the surrogates, and drops a last U+10FFFF', () => {
    expect(prefixRange('mia')).toEqual({ lower: 'mia', upper: 'mib' });
    expect(prefixRange('b\uD7FF')).toEqual({ lower: 'b\uD7FF', upper: 'b\uE000' });
    expect(prefixRange('a\u{10FFFF}')).toEqual({ lower: 'a\u{10FFFF}', upper: 'b' });
    expect(prefixRange('\u{10FFFF}\u{10FFFF}')).toEqual({ lower: '\u{10FFFF}\u{10FFFF}', upper: undefined });
    // A lone surrogate has no UTF-8 form: it travels as U+FFFD, and so is searched for as one.
    expect(prefixRange('a\uD800')).toEqual({ lower: 'a\uFFFD', upper: 'a\uFFFE' });
  });
});
