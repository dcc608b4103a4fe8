import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The layout rules of issue 20, kept by a test rather than by hand (the review found READMEs that
 * had drifted): no source file past 400 lines, a reason at the top of any past 250, no import cycle (type-only imports count: they tie
 * files together too), and every file of an src/auth folder named in that folder's README (and
 * the files directly in src/auth in docs/layout.md), so a newcomer finds each concern by folder.
 */
const ROOT = path.resolve(__dirname, '..');
const SOURCE_ROOTS = ['src', ...readdirSync(path.join(ROOT, 'packages')).map((p) => path.join('packages', p, 'src'))].filter((r) => exists(path.join(ROOT, r)));

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...tsFiles(p));
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(p);
    }
  }
  return out;
}

const sources = SOURCE_ROOTS.flatMap((r) => tsFiles(path.join(ROOT, r)));
/** Lines as `wc -l` counts them. */
const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
const relative = (p: string) => path.relative(ROOT, p);

/** The files each file imports (relative specifiers only: packages are not ours to cycle through). */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const resolve = (from: string, spec: string): string | undefined => {
    const base = path.resolve(path.dirname(from), spec);
    return [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), base.replace(/\.js$/, '.ts')].find((c) => known.has(c));
  };
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]*)['"]/g), ...text.matchAll(/(?:^|\n)\s*import\s*['"](\.[^'"]*)['"]/g)].map((m) => m[1]!);
    graph.set(file, [...new Set(specs.map((s) => resolve(file, s)).filter((t): t is string => t !== undefined))]);
  }
  return graph;
}

/** Strongly connected components of more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.map(relative));
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the layout (issue 20)', () => {
  it('has no source file past 400 lines', () => {
    const long = sources.map((f) => [relative(f), lineCount(readFileSync(f, 'utf8'))] as const).filter(([, lines]) => lines > 400);
    expect(long).toEqual([]);
  });

  it('says why at the top of every source file past 250 lines', () => {
    const unexplained = sources.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return lineCount(text) > 250 && !/on purpose/i.test(text.split('\n').slice(0, 6).join('\n'));
    });
    expect(unexplained.map(relative)).toEqual([]);
  });

  it('has no import cycle in src/ or packages/*/src', () => {
    expect(sources.length).toBeGreaterThan(400);
    expect(cycles(importGraph(sources))).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const [a, b, c] = ['/x/a.ts', '/x/b.ts', '/x/c.ts'];
    expect(cycles(new Map([[a!, [b!]], [b!, [c!]], [c!, [a!]]]))).toHaveLength(1);
    expect(cycles(new Map([[a!, [b!]], [b!, [c!]], [c!, []]]))).toEqual([]);
  });

  it('names every file of an src/auth folder in its README, and the files of src/auth itself in docs/layout.md', () => {
    const auth = path.join(ROOT, 'src', 'auth');
    const unnamed: string[] = [];
    for (const entry of readdirSync(auth, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        const folder = path.join(auth, entry.name);
        const readme = readFileSync(path.join(folder, 'README.md'), 'utf8');
        for (const file of tsFiles(folder)) if (!readme.includes(path.basename(file))) unnamed.push(relative(file));
      }
    }
    const layout = readFileSync(path.join(ROOT, 'docs', 'layout.md'), 'utf8');
    for (const entry of readdirSync(auth)) if (entry.endsWith('.ts') && !layout.includes(entry)) unnamed.push(`src/auth/${entry}`);
    expect(unnamed).toEqual([]);
  });
});
