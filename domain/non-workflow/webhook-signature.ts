import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header value receivers check: `sha256=` and the hex HMAC-SHA256 of the exact body bytes. */
export function signatureHeader(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What a receiver does; shipped so tests and integrators verify the same way Warden signs. */
export function signatureMatches(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signatureHeader(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A new signing secret for a subscription that names none. */
export function generateSecret(): string {
  return `whsec_${randomBytes(24).toString('hex')}`;
}
