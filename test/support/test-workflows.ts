// The workflow bundle every test project runs (support/workflow-bundle.ts): every Warden workflow
// plus the test fixtures.
export * from '../../workflows';
export * from './fixture-workflows';
export * from '../fixtures/timer-workflow';
