/** Rehearsal: pending migrations run up, down and up again on a scratch database (or one given), measured and compared with the entities. */
export { rehearse, onDatabase, type RehearsalReport, type RehearsalOptions } from './rehearse';
export type { RehearsalStep } from './steps';
export { createNeonBranch, NEON_API_URL, type NeonBranch, type NeonSettings } from './neon';
export { rehearseOnNeonBranch, type NeonTarget, type NeonRehearsalReport } from './neon-rehearsal';
