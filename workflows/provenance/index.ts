export { provenanceAnchorWorkflow } from './anchor';
