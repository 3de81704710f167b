// The workflow bundle integration tests run: every Warden workflow plus the test fixtures.
export * from '../../workflows';
export * from './fixture-workflows';
