/**
 * A point a held activity stops at until the test lets it go: `reached` resolves once it gets
 * there, `release` lets it go on. What the vote-race tests use to deliver a second vote while the
 * first one's activity is in flight.
 */
export function holdPoint() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrive!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  return {
    reached,
    release,
    /** Called by the held activity: marks the point reached and waits for the release. */
    async stop(): Promise<void> {
      arrive();
      await released;
    },
  };
}
