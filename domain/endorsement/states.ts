/** Lifecycle of one endorsement. Open states can still change; the others are final. */
export type EndorsementState =
  | 'registering'
  | 'pending'
  | 'staged'
  | 'inconclusive'
  | 'applied'
  | 'promoted'
  | 'rejected'
  | 'aborted'
  | 'expired'
  | 'refused';

export const OPEN_STATES: readonly EndorsementState[] = ['pending', 'staged', 'inconclusive'];

export type Decision = 'approve' | 'stage' | 'reject';
