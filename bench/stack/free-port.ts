export { freePort } from '../../start/child-process';
