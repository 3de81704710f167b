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

/** Staged or inconclusive: the cooldown is running, and operators may promote, abort or extend. */
export const WATCHING_STATES: readonly EndorsementState[] = ['staged', 'inconclusive'];
export const OPEN_STATES: readonly EndorsementState[] = ['pending', ...WATCHING_STATES];

export type Decision = 'approve' | 'stage' | 'reject';
