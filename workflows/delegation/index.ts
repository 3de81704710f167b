export { delegationReviewWorkflow } from './review';
export { delegationEvaluationWorkflow } from './evaluation';
export { delegationAbpEvaluationWorkflow } from './abp-evaluation';
