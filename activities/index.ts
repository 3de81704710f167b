import type { ActivityDeps } from './deps';
import { createProvenanceActivities } from './provenance';

export type { ActivityDeps } from './deps';

/** Every activity the Warden worker registers; each loop adds its own factory here. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProvenanceActivities(deps),
  };
}

export type WardenActivities = ReturnType<typeof createActivities>;
