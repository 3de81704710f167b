/**
 * Property runs per property: the default keeps `npm test` quick and reproducible (every suite
 * fixes its seed); WARDEN_FUZZ_RUNS=<n> multiplies them for a longer hunt, and WARDEN_FUZZ_SEED
 * replays a reported failure.
 */
export function fuzzRuns(base: number): number {
  const factor = Number(process.env.WARDEN_FUZZ_RUNS ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}

export function fuzzSeed(fixed: number): number {
  const given = process.env.WARDEN_FUZZ_SEED;
  return given !== undefined && Number.isInteger(Number(given)) ? Number(given) : fixed;
}
