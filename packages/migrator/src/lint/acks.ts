import type { LintConfig } from './config';

// Acknowledgements of lint findings: which findings each one covers.

export interface Acknowledgement {
  readonly rule: string;
  /** The object it names (`auth.users.legacy`, `catalog.cats`, an index); null: the statement it precedes. */
  readonly object: string | null;
  readonly reason: string;
  /** Where it is written in the migration; null for one from the lint configuration. */
  readonly line: number | null;
}

/**
 * `// migration-lint-ack: <rule> [<object>] -- <reason>`: with an object, it covers that object's
 * findings of the rule anywhere in the migration; without one, only the statement that follows it
 * (or that it ends the line of). Never every finding of the rule in the file: a drop acknowledged
 * for one column must not hide a drop of another, in another service's schema.
 */
const ACK = /\/\/\s*migration-lint-ack:\s*([a-z-]+)(?:[ \t]+([^\s-][^\s]*))?[ \t]*(?:--[ \t]*(.*))?$/gm;

export function acknowledgementsIn(source: string): Acknowledgement[] {
  return [...source.matchAll(ACK)].map((m) => ({
    rule: m[1]!,
    object: m[2]?.toLowerCase() ?? null,
    reason: (m[3] ?? '').trim(),
    line: source.slice(0, m.index).split('\n').length,
  }));
}

/**
 * The configuration's acknowledgements of one migration (for migrations already applied, which
 * can no longer be edited): `"rule object": "reason"` covers that object; a bare `"rule"` the
 * whole migration, as a reviewer decided for that one file.
 */
export function configAcknowledgements(config: LintConfig | undefined, migration: string): Acknowledgement[] {
  return Object.entries(config?.acknowledge?.[migration] ?? {}).map(([key, reason]) => {
    const [rule, object] = key.trim().split(/\s+/);
    return { rule: rule!, object: object?.toLowerCase() ?? null, reason, line: null };
  });
}

/** One qualified name ends the other at a dot: `users.legacy` and `auth.users.legacy` agree, `catalog.cats.legacy` does not. */
function sameObject(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return long === short || long.endsWith(`.${short}`);
}

/**
 * The acknowledgement covering a finding, if any. `statementLines` are the lines where the
 * migration's statements start, so an unscoped acknowledgement finds the one it precedes.
 */
export function coveringAck(
  finding: { readonly rule: string; readonly line: number | null; readonly objects: readonly string[] },
  acks: readonly Acknowledgement[],
  statementLines: readonly number[],
): Acknowledgement | undefined {
  return acks.find((a) => {
    if (a.rule !== finding.rule) return false;
    if (a.object) return finding.objects.some((o) => sameObject(o, a.object!));
    if (a.line === null) return true;
    const next = statementLines.filter((l) => l >= a.line!).reduce((m, l) => Math.min(m, l), Infinity);
    return finding.line !== null && finding.line === next;
  });
}
