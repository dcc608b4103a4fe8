import { resolveTarget } from '../src/targets';

/** Alembic's revision words (issue 24 item 9) and what an unknown one says. */
describe('TARGET: names, prefixes and Alembic\'s relative forms', () => {
  const history = Array.from({ length: 40 }, (_, i) => ({ name: `${i % 2 ? 'AddCat' : 'DropToy'}Column${i}${String(1700000000000 + i)}`, timestamp: 1700000000000 + i }));
  const name = (i: number) => history[i]!.name;

  it('head and heads are the newest; head-1, base+1, <rev>+1 and <rev>-2 step along the history', () => {
    expect(resolveTarget('head', history).name).toBe(name(39));
    expect(resolveTarget('heads', history).name).toBe(name(39));
    expect(resolveTarget('head-1', history).name).toBe(name(38));
    expect(resolveTarget('base+1', history).name).toBe(name(0));
    expect(resolveTarget(`${name(10)}+1`, history).name).toBe(name(11));
    expect(resolveTarget('1700000000012-2', history).name).toBe(name(10));
  });

  it('refuses a step outside the history, naming base when it lands there', () => {
    expect(() => resolveTarget('base+41', history)).toThrow(/"base\+41" is outside the history: base \+ 41 steps goes past the last of 40 migration\(s\)/);
    expect(() => resolveTarget('head-40', history)).toThrow(/before the first of 40 migration\(s\) \(that is base: use base\)/);
  });

  it('an unknown target names at most five likely candidates (newest first), not the whole history on one line', () => {
    expect(() => resolveTarget('Nope', history)).toThrow(
      `no migration matches "Nope"; known: ${[39, 38, 37, 36, 35].map(name).join(', ')} (of 40; history lists them all) (or use head / base, head-1, <rev>+1)`,
    );
    // Names that share a word with the target come first.
    expect(() => resolveTarget('AddCatColumnX', history.slice(0, 4))).toThrow(`known: ${[3, 1, 2, 0].map(name).join(', ')} (or use`);
  });
});
