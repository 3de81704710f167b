/** An ABP document or spec that cannot be accepted; `problems` name the field each concerns. */
export class AbpSpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid ABP: ${problems.join('; ')}`);
    this.name = 'AbpSpecError';
  }
}
