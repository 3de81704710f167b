// Every Warden workflow, as bundled for the worker; each loop adds its workflows here.
//
// Each export loads its loop's modules on its first call (an eager dynamic import: bundled in the
// one file, evaluated only when asked for). The SDK evaluates this index in a module cache of its
// own for every workflow run (new or replayed after an eviction), so with plain re-exports every
// review run built the endorsement and guard loops' zod schemas too, and every cached run kept
// them: in a CPU profile of the review benchmark importing the bundle was a third of the workflow
// thread's busy time. Commands are unchanged (an import issues none); handlers are set a
// microtask later, and the SDK buffers a signal or Update that arrives before its handler.
import type * as Delegation from './delegation';
import type * as Endorsement from './endorsement/endorsement';
import type * as Guard from './guard/proposal';
import type * as Notifications from './notifications/delivery';
import type * as Provenance from './provenance';

const delegation = () => import(/* webpackMode: "eager" */ './delegation');
const guard = () => import(/* webpackMode: "eager" */ './guard/proposal');
const endorsement = () => import(/* webpackMode: "eager" */ './endorsement/endorsement');
const notifications = () => import(/* webpackMode: "eager" */ './notifications/delivery');
const provenance = () => import(/* webpackMode: "eager" */ './provenance');

type Fn<F> = F extends (...args: infer A) => infer R ? (...args: A) => R : never;

export const delegationReviewWorkflow: Fn<typeof Delegation.delegationReviewWorkflow> = async (...args) =>
  (await delegation()).delegationReviewWorkflow(...args);
export const delegationEvaluationWorkflow: Fn<typeof Delegation.delegationEvaluationWorkflow> = async (...args) =>
  (await delegation()).delegationEvaluationWorkflow(...args);
export const delegationAbpEvaluationWorkflow: Fn<typeof Delegation.delegationAbpEvaluationWorkflow> = async (...args) =>
  (await delegation()).delegationAbpEvaluationWorkflow(...args);
export const guardProposalWorkflow: Fn<typeof Guard.guardProposalWorkflow> = async (...args) =>
  (await guard()).guardProposalWorkflow(...args);
export const endorsementWorkflow: Fn<typeof Endorsement.endorsementWorkflow> = async (...args) =>
  (await endorsement()).endorsementWorkflow(...args);
export const notificationDeliveryWorkflow: Fn<typeof Notifications.notificationDeliveryWorkflow> = async (...args) =>
  (await notifications()).notificationDeliveryWorkflow(...args);
export const provenanceAnchorWorkflow: Fn<typeof Provenance.provenanceAnchorWorkflow> = async (...args) =>
  (await provenance()).provenanceAnchorWorkflow(...args);
