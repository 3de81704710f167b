import { describe, expect, it } from 'vitest';
import { buildManifest, EmptySelectionError, type ReviewedEvidence } from '../../../domain/guard/manifest';
import { legacyProposalIdFor, proposalIdFor } from '../../../domain/guard/proposal-id';

const events: ReviewedEvidence[] = [
  { event_id: 'e3', reviewer_id: 'rev-b', label: 'unsafe' },
  { event_id: 'e1', reviewer_id: 'rev-a', label: 'safe' },
  { event_id: 'e2', reviewer_id: 'rev-b', label: 'false_positive' },
  { event_id: 'e4', reviewer_id: 'rev-a', label: 'safe' },
];

describe('reviewed feedback manifest', () => {
  it('counts labels, sorts unique reviewers and event refs, and carries no text fields', () => {
    const manifest = buildManifest('feedback://recent-reviewed', events);
    expect(manifest).toEqual({
      manifest_id: expect.stringMatching(/^reviewed-feedback-[0-9a-f]{32}$/),
      source_ref: 'feedback://recent-reviewed',
      event_count: 4,
      label_counts: { false_positive: 1, safe: 2, unsafe: 1 },
      reviewer_ids: ['rev-a', 'rev-b'],
      event_refs: ['e1', 'e2', 'e3', 'e4'],
    });
    expect(Object.keys(manifest).sort()).toEqual([
      'event_count',
      'event_refs',
      'label_counts',
      'manifest_id',
      'reviewer_ids',
      'source_ref',
    ]);
  });

  it('derives the same id from the same evidence, whatever the order or source ref spelling', () => {
    const a = buildManifest('feedback://a', events);
    const b = buildManifest('feedback://b?tenant=acme', [...events].reverse());
    expect(a.manifest_id).toBe(b.manifest_id);
  });

  it('changes the id when any evidence changes', () => {
    const id = buildManifest('feedback://a', events).manifest_id;
    const relabelled = events.map((e, i) => (i === 0 ? { ...e, label: 'safe' as const } : e));
    const otherReviewer = events.map((e, i) => (i === 0 ? { ...e, reviewer_id: 'rev-c' } : e));
    expect(buildManifest('feedback://a', relabelled).manifest_id).not.toBe(id);
    expect(buildManifest('feedback://a', otherReviewer).manifest_id).not.toBe(id);
    expect(buildManifest('feedback://a', events.slice(1)).manifest_id).not.toBe(id);
  });

  it('refuses an empty selection', () => {
    expect(() => buildManifest('feedback://none', [])).toThrow(EmptySelectionError);
  });
});

describe('proposal ids', () => {
  const content = {
    proposal_type: 'calibration_update' as const,
    policy_id: 'policy.self_improving.regulated',
    manifest_id: 'reviewed-feedback-0123',
    request: { current_threshold: 0.55, candidate_threshold: 0.58, rollback_id: 'rb' },
  };
  it('is derived from content and independent of key order', () => {
    const id = proposalIdFor(content);
    expect(id).toMatch(/^proposal-policy\.self_improving\.regulated-[0-9a-f]{16}$/);
    // The id proposals made before readable ids keep: the same digest, longer.
    expect(legacyProposalIdFor(content)).toMatch(/^guard-loop-[0-9a-f]{32}$/);
    expect(legacyProposalIdFor(content).slice('guard-loop-'.length, 'guard-loop-'.length + 16)).toBe(id.slice(-16));
    expect(
      proposalIdFor({ ...content, request: { rollback_id: 'rb', candidate_threshold: 0.58, current_threshold: 0.55 } }),
    ).toBe(id);
  });
  it('differs when evidence, policy, type or request differ', () => {
    const id = proposalIdFor(content);
    expect(proposalIdFor({ ...content, manifest_id: 'reviewed-feedback-9' })).not.toBe(id);
    expect(proposalIdFor({ ...content, policy_id: 'other' })).not.toBe(id);
    expect(proposalIdFor({ ...content, proposal_type: 'lora_training_job' })).not.toBe(id);
    expect(proposalIdFor({ ...content, request: { ...content.request, candidate_threshold: 0.59 } })).not.toBe(id);
  });
});
