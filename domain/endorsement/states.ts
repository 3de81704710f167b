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

export const DECISIONS = ['approve', 'stage', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];

export const isDecision = (value: string): value is Decision => (DECISIONS as readonly string[]).includes(value);

export type OperatorAction = 'decide' | 'promote' | 'abort' | 'extend';

const PAST = { promote: 'promoted', abort: 'aborted', extend: 'extended' } as const;

/** Why an endorsement in `state` cannot take `action`: the workflow's validators and the client say it alike. */
export function refusalReason(id: string, state: EndorsementState, action: OperatorAction): string {
  return action === 'decide'
    ? `endorsement ${id} is already ${state}; a decision can be made only once`
    : `endorsement ${id} is ${state}; only a staged or inconclusive endorsement can be ${PAST[action]}`;
}
