/** Rehearsal: pending migrations run up, down and up again on a scratch database (or one given), measured and compared with the entities. */
export { rehearse, onDatabase, type RehearsalReport, type RehearsalOptions } from './rehearse';
export type { RehearsalStep } from './steps';
