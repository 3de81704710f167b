import { describe, expect, it } from 'vitest';
import { jsonDiff } from '../../../domain/delegation/abp-diff';

describe('the ABP diff a dry run shows', () => {
  it('names each added, removed and changed field by its path', () => {
    const before = { hash: 'a', tools: { allow: [{ name: 'x', scope: null }], deny: ['y'] }, note: 'n' };
    const after = { hash: 'b', tools: { allow: [{ name: 'x', scope: 'hiring' }], deny: ['y'] }, extra: 1 };
    expect(jsonDiff(before, after)).toEqual([
      { path: 'extra', op: 'added', after: 1 },
      { path: 'hash', op: 'changed', before: 'a', after: 'b' },
      { path: 'note', op: 'removed', before: 'n' },
      { path: 'tools.allow[0].scope', op: 'changed', before: null, after: 'hiring' },
    ]);
  });

  it('reports an array that grew or shrank as one change, and nothing for equal documents', () => {
    expect(jsonDiff({ a: [1, 2] }, { a: [1] })).toEqual([{ path: 'a', op: 'changed', before: [1, 2], after: [1] }]);
    expect(jsonDiff({ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 2 }] } })).toEqual([]);
  });
});
