import type { ActivityDeps } from './deps';
import { createProvenanceActivities } from './provenance';
import { createDelegationActivities } from './delegation';
import { createEndorsementActivities } from './endorsement';
import { createGuardActivities } from './guard';
import { createNotificationActivities } from './notifications';
import { withInputFailuresNonRetryable } from './input-failures';

export type { ActivityDeps } from './deps';

/**
 * Every activity the Warden worker registers; each loop adds its own factory here. An input error
 * in any of them fails its workflow step at once instead of being retried (see input-failures.ts).
 */
export function createActivities(deps: ActivityDeps) {
  return withInputFailuresNonRetryable({
    ...createProvenanceActivities(deps),
    ...createDelegationActivities(deps),
    ...createEndorsementActivities(deps),
    ...createGuardActivities(deps),
    ...createNotificationActivities(deps),
  });
}

export type WardenActivities = ReturnType<typeof createActivities>;
