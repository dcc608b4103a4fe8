import jsTokens from 'js-tokens';

/**
 * Reads the migration classes of a source file from its text, without loading (compiling) it, so
 * `status` costs one file read per migration (typeorm/typeorm#4136). It only ever answers for the
 * shapes it can read with certainty; for anything else (ES5 output, a class that extends another,
 * a computed `name`, an anonymous class, any other exported function, which TypeORM would also
 * instantiate) it says `sure: false` and the caller loads the file, as TypeORM does.
 */
export interface ScannedClass {
  readonly className: string;
  /** The `name` property's literal value, null when the class sets none (TypeORM then uses the class name). */
  readonly nameProperty: string | null;
  /** The string values of the class body, in order (checksums are made of them). */
  readonly literals: readonly string[];
}

export type ScanResult = { readonly sure: true; readonly classes: readonly ScannedClass[] } | { readonly sure: false; readonly reason: string };

interface Token {
  readonly type: string;
  readonly value: string;
}

const SIGNIFICANT = (t: Token) => t.type !== 'WhiteSpace' && t.type !== 'LineTerminatorSequence' && !t.type.endsWith('Comment');

export function tokensOf(code: string): Token[] {
  return [...jsTokens(code)].filter(SIGNIFICANT);
}

const isLiteral = (t: Token | undefined) => t?.type === 'StringLiteral' || t?.type === 'NoSubstitutionTemplate';

export function scanSource(code: string): ScanResult {
  const tokens = tokensOf(code);
  const unsure = (reason: string): ScanResult => ({ sure: false, reason });
  const declared: { className: string; exported: boolean; start: number; end: number }[] = [];
  const exportedNames = new Set<string>();
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'Punctuator' && t.value === '{') depth++;
    else if (t.type === 'Punctuator' && t.value === '}') depth--;
    if (depth !== 0 || t.type !== 'IdentifierName' || tokens[i - 1]?.value === '.') continue;
    const next = tokens[i + 1];
    if (t.value === 'var' && tokens[i + 3]?.value === '(' && tokens[i + 4]?.value === 'function') return unsure('ES5 output (a class compiled to a function)');
    if (t.value === 'class') {
      if (next?.type !== 'IdentifierName' || next.value === 'extends' || next.value === 'implements') return unsure('an anonymous class');
      const prev = tokens[i - 1]?.value;
      let exported = prev === 'export' || (prev === 'default' && tokens[i - 2]?.value === 'export');
      if (prev === '=') {
        const target = dottedBefore(tokens, i - 2);
        if (!/^(module\.exports|(module\.)?exports\.[\w$]+)$/.test(target)) return unsure('a class assigned to a variable');
        exported = true;
      }
      const open = tokens.findIndex((x, k) => k > i && x.type === 'Punctuator' && x.value === '{');
      if (open < 0) return unsure('a class without a body');
      if (tokens.slice(i + 2, open).some((x) => x.value === 'extends')) return unsure(`class ${next.value} extends another class (its name may come from there)`);
      const end = matchingBrace(tokens, open);
      if (end < 0) return unsure('unbalanced braces');
      declared.push({ className: next.value, exported, start: open, end });
      i = end;
      continue;
    }
    if (t.value === 'export' && ['const', 'let', 'var', 'function', 'async'].includes(next?.value ?? '')) {
      // TypeORM instantiates every exported function of a migrations file: only loading tells what it would do.
      return unsure('it exports something other than a class');
    }
    if (t.value === 'export' && next?.value === '{') {
      const close = matchingBrace(tokens, i + 1);
      for (const n of tokens.slice(i + 2, close)) if (n.type === 'IdentifierName' && n.value !== 'as') exportedNames.add(n.value);
    }
    if (t.value === 'module' || t.value === 'exports') {
      const { name: target, after } = dottedAfter(tokens, i);
      if (!/^(module\.exports|(module\.)?exports\.[\w$]+)$/.test(target) || tokens[after]?.value !== '=') continue;
      const rhs = tokens[after + 1];
      if (target === 'module.exports' && rhs?.value === '{') {
        const close = matchingBrace(tokens, after + 1);
        for (const n of tokens.slice(after + 2, close)) if (n.type === 'IdentifierName') exportedNames.add(n.value);
      } else if (rhs?.type === 'IdentifierName' && rhs.value !== 'class' && rhs.value !== 'void') {
        if (rhs.value === 'function') return unsure('it exports a function');
        exportedNames.add(rhs.value);
      }
    }
  }
  if (depth !== 0) return unsure('unbalanced braces');
  const classes: ScannedClass[] = [];
  for (const c of declared) {
    if (!c.exported && !exportedNames.has(c.className)) continue;
    const name = readName(tokens, c.start, c.end);
    if (name === UNSURE) return unsure(`class ${c.className} sets its name other than to one string literal`);
    classes.push({ className: c.className, nameProperty: name, literals: literalsOf(tokens.slice(c.start, c.end + 1)) });
  }
  if (!classes.length) return unsure('no exported class found in the text');
  return { sure: true, classes };
}

/** `a.b.c` ending at token `end` (an identifier), read backwards. */
function dottedBefore(tokens: readonly Token[], end: number): string {
  const parts: string[] = [];
  let k = end;
  while (tokens[k]?.type === 'IdentifierName') {
    parts.unshift(tokens[k]!.value);
    if (tokens[k - 1]?.value !== '.') break;
    k -= 2;
  }
  return parts.join('.');
}

/** `a.b.c` starting at token `start`, and the index of the token after it. */
function dottedAfter(tokens: readonly Token[], start: number): { name: string; after: number } {
  const parts: string[] = [];
  let k = start;
  while (tokens[k]?.type === 'IdentifierName') {
    parts.push(tokens[k]!.value);
    if (tokens[k + 1]?.value !== '.') {
      k++;
      break;
    }
    k += 2;
  }
  return { name: parts.join('.'), after: k };
}

function matchingBrace(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.type !== 'Punctuator') continue;
    if (t.value === '{') depth++;
    else if (t.value === '}' && --depth === 0) return k;
  }
  return -1;
}

const UNSURE = Symbol('unsure');
const CONTINUES = new Set(['+', '.', '[', '?', '?.', '??', '||', '&&', ',', '(', '`']);

/** The value of a lone string literal at token k (nothing applied to it), else UNSURE. */
function literalAt(tokens: readonly Token[], k: number): string | typeof UNSURE {
  const t = tokens[k];
  if (!isLiteral(t) || CONTINUES.has(tokens[k + 1]?.value ?? '')) return UNSURE;
  return unescape(t!.value.slice(1, -1));
}

/**
 * The literal the class sets its instance `name` to: a field of the body (`name = 'X'`, with
 * modifiers or a type) or `this.name = 'X'` in the constructor. Only those positions count: a
 * `name = 'admin'` in a method's SQL or code is not the migration's name (TypeORM reads the
 * instance). Null: no name set, TypeORM uses the class name.
 */
function readName(tokens: readonly Token[], open: number, close: number): string | null | typeof UNSURE {
  // The constructor body runs after the field initializers: its assignment is the one that stays.
  let field: string | null | typeof UNSURE = null;
  let assigned: string | null | typeof UNSURE = null;
  let depth = 0;
  for (let k = open; k <= close; k++) {
    const t = tokens[k]!;
    if (t.type === 'Punctuator' && (t.value === '{' || t.value === '}')) {
      depth += t.value === '{' ? 1 : -1;
      continue;
    }
    if (depth !== 1 || t.type !== 'IdentifierName' || tokens[k - 1]?.value === '.') continue;
    if (t.value === 'constructor' && tokens[k + 1]?.value === '(') {
      const bodyOpen = tokens.findIndex((x, j) => j > k && x.type === 'Punctuator' && x.value === '{');
      const bodyClose = matchingBrace(tokens, bodyOpen);
      for (let j = bodyOpen; j < bodyClose; j++) {
        if (tokens[j]!.value === 'this' && tokens[j + 1]?.value === '.' && tokens[j + 2]?.value === 'name' && tokens[j + 3]?.value === '=') {
          assigned = literalAt(tokens, j + 4);
        }
      }
      k = bodyClose;
      continue;
    }
    if (t.value !== 'name') continue;
    const modifiers = tokens.slice(Math.max(open + 1, k - 3), k).map((x) => x.value);
    if (modifiers.some((m) => m === 'static' || m === 'get' || m === 'set')) return UNSURE;
    let v = k + 1;
    if (tokens[v]?.value === '!' || tokens[v]?.value === '?') v++;
    if (tokens[v]?.value === ':') while (v < close && tokens[v]!.value !== '=' && tokens[v]!.value !== ';' && tokens[v]!.value !== '}') v++;
    if (tokens[v]?.value === '(') return UNSURE;
    if (tokens[v]?.value !== '=') continue;
    field = literalAt(tokens, v + 1);
    if (field === UNSURE) return UNSURE;
  }
  return assigned ?? field;
}

/** Every string value in `tokens`: string literals and the text parts of templates, decoded, empty ones left out. */
export function literalsOf(tokens: readonly Token[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    let raw: string | undefined;
    if (t.type === 'StringLiteral') raw = t.value.slice(1, -1);
    else if (t.type === 'NoSubstitutionTemplate') raw = t.value.slice(1, -1);
    else if (t.type === 'TemplateHead') raw = t.value.slice(1, -2);
    else if (t.type === 'TemplateMiddle') raw = t.value.slice(1, -2);
    else if (t.type === 'TemplateTail') raw = t.value.slice(1, -1);
    if (raw === undefined) continue;
    const value = unescape(raw);
    if (value.length) out.push(value);
  }
  return out;
}

const SIMPLE: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', 0: '\0' };

/** A string literal's or template's escapes decoded (what the running code sees). */
export function unescape(raw: string): string {
  return raw.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])/g, (_, e: string) => {
    if (e.startsWith('u{')) return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
    if (e.length > 1 && (e[0] === 'u' || e[0] === 'x')) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e === '\n' || e === '\r\n' || e === '\r' || e === '\u2028' || e === '\u2029') return '';
    return SIMPLE[e] ?? e;
  });
}
