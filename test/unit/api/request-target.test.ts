import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../../api/error-response';
import { InvalidRequest } from '../../../api/invalid-request';
import { checkJsonBody, checkPathParameters, checkQueryParameters } from '../../../api/request-input-checks';
import { decodePathParameter, parseRequestTarget } from '../../../api/request-target';
import { HttpError } from '../../../api/route';

function refusal(attempt: () => unknown): { status: number; body: Record<string, unknown> } {
  try {
    attempt();
  } catch (error) {
    return errorResponse(error, () => undefined);
  }
  throw new Error('expected a refusal');
}

describe('the request line and inputs at the HTTP boundary', () => {
  it('splits origin-form targets by hand, including ones `new URL` throws on', () => {
    // `new URL('//', base)` throws "Invalid URL"; outside the request's try block it ended the process.
    expect(parseRequestTarget('//')).toMatchObject({ path: '//' });
    expect(parseRequestTarget('/api/v1/provenance?limit=5&kind=review.').query.get('kind')).toBe('review.');
    expect(parseRequestTarget('http://x/healthz?a=1')).toMatchObject({ path: '/healthz' });
  });

  it('answers a target that is not a path, or an absolute URL that does not parse, with 400', () => {
    for (const target of ['http://x:99999/healthz', '*', 'example.com:443', 'http://[::1/']) {
      const r = refusal(() => parseRequestTarget(target));
      expect(r.status, target).toBe(400);
      expect(r.body.error).toMatch(/malformed request target/);
    }
  });

  it('names the path parameter whose %-escape is malformed', () => {
    expect(decodePathParameter('id', 'ABP-%41')).toBe('ABP-A');
    const r = refusal(() => decodePathParameter('id', '%E0%A4%A'));
    expect(r).toMatchObject({
      status: 400,
      body: { error: 'invalid request', issues: [{ field: ':id', message: 'malformed %-escape in the path' }] },
    });
  });

  it('refuses NUL and lone surrogates in path, query and body, naming the field', () => {
    expect(refusal(() => checkPathParameters({ id: 'a\u0000' })).body.issues).toEqual([
      { field: ':id', message: expect.stringMatching(/NUL/) },
    ]);
    expect(refusal(() => checkQueryParameters(new URLSearchParams('subject=a%00b'))).body.issues).toEqual([
      { field: '?subject', message: expect.stringMatching(/NUL/) },
    ]);
    expect(refusal(() => checkJsonBody({ settings: { deep: ['\ud800'] } })).body.issues).toEqual([
      { field: 'settings.deep[0]', message: expect.stringMatching(/surrogate/) },
    ]);
    expect(refusal(() => checkJsonBody({ n: Number.POSITIVE_INFINITY })).body.issues).toEqual([
      { field: 'n', message: 'must be a finite number' },
    ]);
    expect(() => checkJsonBody({ rule: 'fine', n: 1 })).not.toThrow();
    expect(() => checkJsonBody('a\u0000 NDJSON text is left to its row schema')).not.toThrow();
  });

  it('answers unexpected errors with a reference, never their text, and database outages with 503', () => {
    const logged: string[] = [];
    const internal = errorResponse(new Error('relation "secret_table" does not exist'), (l) => logged.push(l));
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal.body)).not.toContain('secret_table');
    expect(logged.join('\n')).toContain('secret_table');
    const refused = errorResponse(
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }),
    );
    expect(refused).toMatchObject({ status: 400 });
    expect(JSON.stringify(refused.body)).not.toContain('UTF8');
    const down = errorResponse(Object.assign(new Error('Connection terminated unexpectedly'), {}));
    expect(down).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
    expect(
      errorResponse(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })).status,
    ).toBe(503);
    expect(
      errorResponse(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))
        .status,
    ).toBe(503);
    expect(errorResponse(new InvalidRequest([{ field: 'x', message: 'y' }])).status).toBe(400);
    expect(errorResponse(new HttpError(401, 'who?')).headers['www-authenticate']).toMatch(/Bearer/);
  });
});
