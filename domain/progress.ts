/**
 * How a long operation (a bulk ingest, a toolchain build) says how far it has got, for whoever
 * shows it: the CLI draws a bar, the HTTP API and the TypeScript client pass none. `total` is
 * undefined while it is not known, and `phase` names what is being counted ("storing rows").
 */
export type ProgressCallback = (done: number, total: number | undefined, phase: string) => void;

/** The phases of a bulk ingest (drift evidence, reviewed feedback), in order. */
export const INGEST_PHASES = {
  validating: 'validating rows',
  storing: 'storing rows',
  evaluating: 'evaluating triggers',
} as const;
