/** What a command reads and writes: the environment and the two streams (tests pass their own). */
export interface Io {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}
