/**
 * The library, loaded only by the commands that use it: status and history import the read-only
 * half directly and start without TypeORM, a SQL parser or any migration file.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const library = () => require('../../index') as typeof import('../../index');
