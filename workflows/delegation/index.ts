export { delegationReviewWorkflow } from './review';
export { delegationEvaluationWorkflow } from './evaluation';
