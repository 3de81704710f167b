/**
 * The kinds of evidence row `warden drift ingest` takes. Apart from the intake schemas (zod) so
 * the CLI can list them in its help without loading those.
 */
export const INTAKE_KINDS = ['drift_signal', 'coherence_run', 'claim'] as const;

export type IntakeKind = (typeof INTAKE_KINDS)[number];
