// Stands in for workflows/endorsement/cooldown-wait.ts in a bundle of the endorsement workflow as
// it was before it stopped polling: no patch marker, samples pulled every `pollSeconds`.
export const WAIT_WITHOUT_POLLING = 'endorsement-waits-without-polling';
export function waitsWithoutPolling(): boolean {
  return false;
}
