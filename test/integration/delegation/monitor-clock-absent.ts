// Stands in for workflows/delegation/monitor-clock.ts in a bundle of the delegation workflows as
// they were before monitor passes gave the evaluation their clock: no patch marker, no clock, so
// the evaluation activity starts every open review without a workflow (new ones included).
export const MONITOR_PASSES_ITS_CLOCK = 'monitor-passes-its-clock';

export function passClock(): { asOf?: string; horizonMs?: number } {
  return {};
}
