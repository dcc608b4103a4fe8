/**
 * What a display name may hold (issue 22 L8). Other services show it to other people, so it must
 * not be able to reorder the text around it or pass for empty:
 * - no Unicode format characters (category Cf: bidi overrides and isolates such as U+202E, zero
 *   width spaces and joiners, the soft hyphen, tag characters) and no control characters (Cc);
 * - at least one visible character: whitespace, combining marks alone and the "blank" letters that
 *   render as nothing (Hangul fillers, the Braille blank) do not count.
 */
const FORMAT_OR_CONTROL = /[\p{Cf}\p{Cc}]/u;
const INVISIBLE = /[\p{White_Space}\p{M}\u115F\u1160\u3164\uFFA0\u2800]/gu;

/** Why `name` is not an acceptable display name, or undefined. */
export function displayNameProblem(name: string): string | undefined {
  const bad = FORMAT_OR_CONTROL.exec(name);
  if (bad) return `must not contain invisible formatting or control characters (U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
  if (name.replace(INVISIBLE, '').length === 0) return 'must contain at least one visible character';
  return undefined;
}
