import { z } from 'zod';
import { LINE_TEXT_BYTES, textStorageProblem } from './text-storage';

export {
  FREE_TEXT_BYTES,
  KEY_TEXT_BYTES,
  LINE_TEXT_BYTES,
  textStorageProblem,
  toStorableText,
  utf8ByteLength,
} from './text-storage';

/** A string the database stores as given: no NUL, well-formed UTF-16, at most `maxBytes` of UTF-8. */
export function storableText(maxBytes: number = LINE_TEXT_BYTES, params?: Parameters<typeof z.string>[0]) {
  return z.string(params).superRefine((value, ctx) => {
    const problem = textStorageProblem(value, maxBytes);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
  });
}
