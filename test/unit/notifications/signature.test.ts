import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deliveryBody, type NotificationEvent } from '../../../domain/notifications/events';
import { signatureHeader, signatureMatches } from '../../../domain/non-workflow/webhook-signature';
import { isPermanentRefusal, webhookInput } from '../../../domain/notifications/subscription';

const event: NotificationEvent = {
  eventId: 'evt_1',
  type: 'proposal.ready',
  subject: 'guard-loop-abc',
  workflowId: 'guard-loop-abc',
  occurredAt: '2026-05-13T08:00:00.000Z',
  facts: { policyId: 'p', riskScore: 0.03 },
};

describe('webhook signatures', () => {
  it('signs the exact body bytes with HMAC-SHA256 as a receiver recomputes it', () => {
    const body = deliveryBody(event);
    const header = signatureHeader('s3cret-s3cret-s3cret', body);
    expect(header).toBe(`sha256=${createHmac('sha256', 's3cret-s3cret-s3cret').update(body).digest('hex')}`);
    expect(signatureMatches('s3cret-s3cret-s3cret', body, header)).toBe(true);
    expect(signatureMatches('another-secret-xxxx', body, header)).toBe(false);
    expect(signatureMatches('s3cret-s3cret-s3cret', body.replace('0.03', '0.04'), header)).toBe(false);
    expect(signatureMatches('s3cret-s3cret-s3cret', body, undefined)).toBe(false);
  });

  it('puts ids and facts in the body, nothing else', () => {
    expect(JSON.parse(deliveryBody(event))).toEqual({
      id: 'evt_1',
      type: 'proposal.ready',
      subject: 'guard-loop-abc',
      workflow_id: 'guard-loop-abc',
      occurred_at: '2026-05-13T08:00:00.000Z',
      data: { policyId: 'p', riskScore: 0.03 },
    });
  });
});

describe('webhook subscriptions', () => {
  it('accepts known event types and defaults the attempts', () => {
    expect(webhookInput.parse({ url: 'https://hooks.example.com/x', events: ['review.opened'] })).toMatchObject({
      maxAttempts: 6,
    });
  });

  it.each([
    [{ url: 'https://h.example.com', events: [] }, 'events'],
    [{ url: 'https://h.example.com', events: ['review.exploded'] }, 'events'],
    [{ url: 'ftp://h.example.com', events: ['review.opened'] }, 'url'],
    [{ url: 'https://u:p@h.example.com', events: ['review.opened'] }, 'url'],
    [{ url: 'https://h.example.com', events: ['review.opened'], secret: 'short' }, 'secret'],
    [{ url: 'https://h.example.com', events: ['review.opened'], maxAttempts: 50 }, 'maxAttempts'],
  ])('refuses %j naming %s', (input, field) => {
    const result = webhookInput.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')).toContain(field);
  });

  it('retries timeouts, rate limits and server errors; redirects and other 4xx are final', () => {
    expect([301, 302, 400, 401, 404, 410, 422].map(isPermanentRefusal)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect([408, 429, 500, 502, 503].map(isPermanentRefusal)).toEqual([false, false, false, false, false]);
  });
});
