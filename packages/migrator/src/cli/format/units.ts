import path from 'node:path';

/** Shared pieces of the text output: paths relative to where the user stands, durations. */
export const rel = (file: string | null) => (file ? path.relative(process.cwd(), file) || file : '(no file)');
export const ms = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`);

/** The host's words a text names: how the tool is started and where its privilege policy is written. */
export interface Words {
  readonly invocation: string;
  readonly policyName?: string;
}
