import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appendProvenance, listProvenance, provenanceListQuery } from '../../../db/provenance/log';
import { useIntegrationContext } from '../../support/integration';
import { planOf } from '../../support/query-plan';

const ctx = useIntegrationContext('provenance-list-plans');

const plan = async (filter: Parameters<typeof provenanceListQuery>[0]) => {
  const q = provenanceListQuery(filter);
  return planOf(ctx.pool, q.text, q.values);
};

describe("listing provenance without indexing the action checks' own entries (migration 019)", () => {
  it("a listing by any other kind walks the kind index, whatever the database's collation", async () => {
    // The old (kind, seq) index served LIKE 'x%' only under the C collation: not on a server
    // created with C.UTF-8, where a rare kind was looked for by walking the whole log.
    // Rare kinds only: for a prefix as common as 'review' in a database other tests share, walking
    // the log backwards under the LIMIT is the cheaper plan, and the planner rightly takes it.
    expect(await plan({ kind: 'abp.revoked' })).toMatch(/provenance_log_kind_prefix_idx/);
    expect(await plan({ kind: 'abp.revok' })).toMatch(/provenance_log_kind_prefix_idx/);
  });

  it("a listing by subject walks the subject index, and an ABP's revocation is found through an index", async () => {
    expect(await plan({ subject: 'abp:ABP-00000000' })).toMatch(/provenance_log_subject_idx/);
    expect(await plan({ subject: 'abp:ABP-00000000', kind: 'abp.revoked', limit: 1 })).toMatch(
      /provenance_log_(subject|kind_prefix)_idx/,
    );
  });

  it("the checks' own entries are still listed by any kind prefix that names them", async () => {
    const subject = `abp:list-plans-${randomBytes(4).toString('hex')}`;
    const checked = await appendProvenance(ctx.pool, ctx.provenanceKey, {
      kind: 'action.checked',
      subject,
      payload: { check_id: 'c-1', decision: 'allowed' },
    });
    const built = await appendProvenance(ctx.pool, ctx.provenanceKey, { kind: 'abp.built', subject, payload: {} });
    const seqs = async (kind?: string) => (await listProvenance(ctx.pool, { subject, kind })).map((e) => e.seq);
    expect(await seqs()).toEqual([built.seq, checked.seq]);
    for (const kind of ['action.checked', 'action', 'act']) expect(await seqs(kind)).toEqual([checked.seq]);
    expect(await seqs('abp')).toEqual([built.seq]);
  });
});
