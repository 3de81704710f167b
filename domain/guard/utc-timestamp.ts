import { z } from 'zod';

// An ISO-8601 instant with an explicit zone (Z or ±hh:mm); a zone-less time is ambiguous
// and refused rather than guessed.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const UTC_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function isUtcZTimestamp(value: string): boolean {
  return UTC_Z.test(value) && !Number.isNaN(Date.parse(value));
}

export function parseInstant(value: string): Date | undefined {
  if (!ISO_WITH_ZONE.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

// Feedback timestamps arrive as epoch seconds (the original's float) or as ISO text with a
// zone; both are normalised to UTC "Z" text.
export const instantSchema = z
  .union([z.number(), z.string()], { error: 'timestamp must be epoch seconds or an ISO-8601 time' })
  .transform((value, ctx) => {
    const date =
      typeof value === 'number'
        ? Number.isFinite(value) && value >= 0
          ? new Date(value * 1000)
          : undefined
        : parseInstant(value);
    if (!date || Number.isNaN(date.getTime())) {
      ctx.addIssue({
        code: 'custom',
        message: 'timestamp must be non-negative epoch seconds or an ISO-8601 time with a zone',
      });
      return z.NEVER;
    }
    return date.toISOString();
  });
