/** Runs `attempt`, expecting it to throw an `errorClass`; returns that error (anything else fails). */
export function refusalOf<E extends Error>(errorClass: new (...args: never[]) => E, attempt: () => unknown): E {
  try {
    attempt();
  } catch (error) {
    if (error instanceof errorClass) return error;
    throw error;
  }
  throw new Error('expected a refusal, but it was accepted');
}
