import { createHash } from 'node:crypto';

/** Lower-case hex SHA-256 of UTF-8 text. Uses node:crypto: activities and clients only, never a workflow. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
