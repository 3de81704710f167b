/**
 * Errors every entry point understands: the CLI maps `kind` to its exit code and message, the
 * HTTP API to a status. Throw these (or subclasses) for anything a user can cause.
 */
export type WardenErrorKind = 'invalid' | 'not_found' | 'conflict' | 'forbidden' | 'unavailable';

export class WardenError extends Error {
  constructor(
    readonly kind: WardenErrorKind,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'WardenError';
  }
}

export const notFound = (what: string) => new WardenError('not_found', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new WardenError('conflict', message, details);
export const invalid = (message: string, details?: unknown) => new WardenError('invalid', message, details);
export const forbidden = (message: string) => new WardenError('forbidden', message);
