import { describe, expect, it } from 'vitest';
import { canonicalSourceRef, parseSourceRef, SourceRefError } from '../../../domain/guard/source-ref';

describe('feedback:// source refs', () => {
  it('selects everything when there is no query', () => {
    expect(parseSourceRef('feedback://recent-reviewed')).toEqual({
      name: 'recent-reviewed',
      tenants: [],
      labels: [],
      reviewers: [],
    });
  });

  it('parses tenant, label, reviewer lists and time bounds', () => {
    const selection = parseSourceRef(
      'feedback://may?tenant=acme,globex&tenant=acme&label=unsafe&label=false_negative&reviewer=r2,r1&since=2026-05-01&until=2026-05-13T12:00:00%2B02:00',
    );
    expect(selection).toEqual({
      name: 'may',
      tenants: ['acme', 'globex'],
      labels: ['false_negative', 'unsafe'],
      reviewers: ['r1', 'r2'],
      since: '2026-05-01T00:00:00.000Z',
      until: '2026-05-13T10:00:00.000Z',
    });
  });

  it('has one canonical spelling per selection', () => {
    const a = canonicalSourceRef('feedback://x?label=unsafe,safe&tenant=b,a&since=2026-05-01T00:00:00Z');
    const b = canonicalSourceRef('FEEDBACK://x?since=2026-05-01&tenant=a&tenant=b&label=safe&label=unsafe');
    expect(a).toBe(b);
    expect(a).toBe('feedback://x?tenant=a,b&label=safe,unsafe&since=2026-05-01T00:00:00.000Z');
    expect(parseSourceRef(a)).toEqual(parseSourceRef(b));
  });

  it('round-trips ids with reserved characters', () => {
    const ref = canonicalSourceRef('feedback://x?tenant=org%2Fteam%2Bone');
    expect(parseSourceRef(ref).tenants).toEqual(['org/team+one']);
  });

  it.each([
    ['s3://bucket/x', /must start with feedback:\/\//],
    ['feedback://', /name after feedback/],
    ['feedback://has space', /name after feedback/],
    ['feedback://x?tenants=a', /unknown parameter "tenants"/],
    ['feedback://x?label=maybe', /label must be one of/],
    ['feedback://x?tenant=', /tenant needs a value/],
    ['feedback://x?tenant=a,,b', /empty list entry/],
    ['feedback://x?tenant=a%20b', /tenant may contain only/],
    ['feedback://x?since=yesterday', /since must be an ISO-8601/],
    ['feedback://x?until=2026-05-01T00:00:00', /until must be an ISO-8601/],
    ['feedback://x?since=2026-05-02&until=2026-05-01', /since must be earlier than until/],
    ['feedback://x?since=2026-05-01&until=2026-05-01', /since must be earlier than until/],
    ['feedback://x?since=2026-05-01&since=2026-05-02', /since given more than once/],
    ['feedback://x#frag', /fragments/],
    ['feedback://x?tenant=%E0%A4%A', /percent-encoding/],
  ])('refuses %s', (ref, message) => {
    expect(() => parseSourceRef(ref)).toThrow(SourceRefError);
    expect(() => parseSourceRef(ref)).toThrow(message);
  });
});
