import type { ActivityDeps } from './deps';
import { createProvenanceActivities } from './provenance';
import { createDelegationActivities } from './delegation';
import { createEndorsementActivities } from './endorsement';
import { createGuardActivities } from './guard';
import { createNotificationActivities } from './notifications';

export type { ActivityDeps } from './deps';

/** Every activity the Warden worker registers; each loop adds its own factory here. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProvenanceActivities(deps),
    ...createDelegationActivities(deps),
    ...createEndorsementActivities(deps),
    ...createGuardActivities(deps),
    ...createNotificationActivities(deps),
  };
}

export type WardenActivities = ReturnType<typeof createActivities>;
