import { fileURLToPath } from 'node:url';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WardenContext } from '../../../client/context';
import { bundleWithStandIn } from '../../support/bundle-with-stand-in';
import { REOPEN_AFTER_FAILED_APPLY } from '../../../workflows/delegation/review-reopen';
import { MARKS_STARTED_TOGETHER } from '../../../workflows/delegation/start-reviews';
import { DECIDING_VOTE_APPLIES } from '../../../workflows/delegation/review-vote-applies';
import { APPROVAL_IN_ONE_LEAN_TASK } from '../../../workflows/delegation/review-approval-task';
import { DEADLINE_RECHECKS_DECISION } from '../../../workflows/delegation/review-deadline-decision';
import { DISMISSAL_WAITS_FOR_DECIDING_VOTE } from '../../../workflows/delegation/review-dismissal-waits';
import { APPROVAL_WAITS_FOR_DISMISSAL } from '../../../workflows/delegation/review-approval-waits';
import { WAIT_WITHOUT_POLLING } from '../../../workflows/endorsement/cooldown-wait';
import { PROMOTE_NEEDS_EVIDENCE_OR_OVERRIDE } from '../../../workflows/endorsement/promotion-rule';
import { NOTIFY_PATCH } from '../../../workflows/notify';
import { MONITOR_PASSES_ITS_CLOCK } from '../../../workflows/delegation/monitor-clock';
import type { RecordingStack, WardenActivities } from '../recording-stack';

/**
 * The workflow code of a release before a patch: the bundle with the patch's module replaced by
 * the stand-in the integration tests use (test/integration/…/*-absent.ts). Histories recorded on
 * it are those of runs an earlier release started and a current worker may still have to carry on.
 */
export interface EarlierRelease {
  /** Imports of the patched module, e.g. /(^|\/)notify$/. */
  module: RegExp;
  /** The stand-in, relative to test/integration/. */
  standIn: string;
  /** The patch marker the release did not record yet. */
  patchId: string;
  /** How the names of cases recorded on it end (`<path>.<suffix>`); the recorder checks their histories lack the marker. */
  suffix: string;
  /** The release came after reviews opened in one task (otherwise that patch is absent from it too). */
  opensInOneTask?: true;
}

export const BEFORE_NOTIFICATIONS: EarlierRelease = {
  module: /(^|\/)notify$/,
  standIn: 'notifications/notify-absent.ts',
  patchId: NOTIFY_PATCH,
  suffix: 'before-notifications',
};
export const BEFORE_EVIDENCE_RULE: EarlierRelease = {
  module: /(^|\/)promotion-rule$/,
  standIn: 'endorsement/promotion-rule-absent.ts',
  patchId: PROMOTE_NEEDS_EVIDENCE_OR_OVERRIDE,
  suffix: 'before-evidence-rule',
};
export const BEFORE_REOPENING: EarlierRelease = {
  module: /(^|\/)review-reopen$/,
  standIn: 'delegation/review-reopen-absent.ts',
  patchId: REOPEN_AFTER_FAILED_APPLY,
  suffix: 'before-reopening',
};
export const BEFORE_STARTED_TOGETHER: EarlierRelease = {
  module: /(^|\/)start-reviews$/,
  standIn: 'delegation/start-reviews-absent.ts',
  patchId: MARKS_STARTED_TOGETHER,
  suffix: 'before-started-together',
};
export const BEFORE_VOTE_APPLIES: EarlierRelease = {
  module: /(^|\/)review-vote-applies$/,
  standIn: 'delegation/review-vote-applies-absent.ts',
  patchId: DECIDING_VOTE_APPLIES,
  suffix: 'before-vote-applies',
};
export const BEFORE_DEADLINE_RECHECKS: EarlierRelease = {
  module: /(^|\/)review-deadline-decision$/,
  standIn: 'delegation/review-deadline-decision-absent.ts',
  patchId: DEADLINE_RECHECKS_DECISION,
  suffix: 'before-deadline-rechecks',
};
export const BEFORE_LEAN_APPROVAL: EarlierRelease = {
  module: /(^|\/)review-approval-task$/,
  standIn: 'delegation/review-approval-task-absent.ts',
  patchId: APPROVAL_IN_ONE_LEAN_TASK,
  suffix: 'before-lean-approval',
};
// Only for the suffix check: the histories named so were recorded on the release that polled, before the patch.
export const BEFORE_NO_POLL: EarlierRelease = {
  module: /(^|\/)cooldown-wait$/,
  standIn: 'endorsement/cooldown-wait-absent.ts',
  patchId: WAIT_WITHOUT_POLLING,
  suffix: 'before-no-poll',
};
export const BEFORE_DISMISSAL_WAITS: EarlierRelease = {
  module: /(^|\/)review-dismissal-waits$/,
  standIn: 'delegation/review-dismissal-waits-absent.ts',
  patchId: DISMISSAL_WAITS_FOR_DECIDING_VOTE,
  suffix: 'before-dismissal-waits',
  opensInOneTask: true,
};
export const BEFORE_APPROVAL_WAITS: EarlierRelease = {
  module: /(^|\/)review-approval-waits$/,
  standIn: 'delegation/review-approval-waits-absent.ts',
  patchId: APPROVAL_WAITS_FOR_DISMISSAL,
  suffix: 'before-approval-waits',
  opensInOneTask: true,
};
export const BEFORE_MONITOR_CLOCK: EarlierRelease = {
  module: /(^|\/)monitor-clock$/,
  standIn: 'delegation/monitor-clock-absent.ts',
  patchId: MONITOR_PASSES_ITS_CLOCK,
  suffix: 'before-monitor-clock',
  opensInOneTask: true,
};
export const EARLIER_RELEASES = [
  BEFORE_NOTIFICATIONS,
  BEFORE_EVIDENCE_RULE,
  BEFORE_REOPENING,
  BEFORE_STARTED_TOGETHER,
  BEFORE_NO_POLL,
  BEFORE_VOTE_APPLIES,
  BEFORE_DEADLINE_RECHECKS,
  BEFORE_LEAN_APPROVAL,
  BEFORE_DISMISSAL_WAITS,
  BEFORE_APPROVAL_WAITS,
  BEFORE_MONITOR_CLOCK,
];

const bundles = new Map<EarlierRelease, Promise<WorkflowBundleWithSourceMap>>();

const OPENING_IN_ONE_TASK_ABSENT = {
  request: /(^|\/)review-opening-task$/,
  standIn: fileURLToPath(new URL('../../integration/delegation/review-opening-task-absent.ts', import.meta.url)),
};

/** Runs `work` with a context whose workflows run on the earlier release's code (bundled once per recording). */
export async function onEarlierRelease<T>(
  stack: RecordingStack,
  release: EarlierRelease,
  work: (ctx: WardenContext) => Promise<T>,
  activities?: (real: WardenActivities) => Partial<WardenActivities>,
): Promise<T> {
  let bundle = bundles.get(release);
  if (!bundle)
    bundles.set(
      release,
      (bundle = bundleWithStandIn(
        release.module,
        fileURLToPath(new URL(`../../integration/${release.standIn}`, import.meta.url)),
        // Unless it says otherwise, a release listed here came before reviews opened in one task:
        // that patch, which implies the reopening and notification ones, is absent from it too.
        ...(release.opensInOneTask ? [] : [OPENING_IN_ONE_TASK_ABSENT]),
      )),
    );
  const earlier = await stack.workerWith({ workflowBundle: await bundle, ...(activities ? { activities } : {}) });
  try {
    return await work(earlier.ctx);
  } finally {
    await earlier.stop();
  }
}
