import { describe, expect, it } from 'vitest';
import { buildManifest, ingestFeedback, proposeCalibrationUpdate } from '../../../client/guard';
import { monitorRunId } from '../../../client/delegation';
import { insertProposal } from '../../../db/guard/proposals';
import { calibrationRequestSchema } from '../../../domain/guard/proposal-request-schemas';
import { legacyProposalIdFor } from '../../../domain/guard/proposal-id';
import { useIntegrationContext } from '../../support/integration';
import {
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  toNdjson,
  uniqueSuffix,
} from '../guard/guard-fixtures';

const ctx = useIntegrationContext('operator-ids');

describe('workflow ids a person can read in the Temporal UI', () => {
  it('names new proposals proposal-<policy>-<short>, and finds a proposal kept under its old id', async () => {
    const suffix = uniqueSuffix();
    const people = await seedPeopleAndPolicy(ctx, suffix);
    const tenant = `ids-${suffix}`;
    await ingestFeedback(ctx, toNdjson(reviewedRows(tenant, 40, { marker: suffix })), people.proposer);
    const fresh = await proposeCalibrationUpdate(
      ctx,
      seedCalibrationRequest(people.proposer, `feedback://recent-reviewed?tenant=${tenant}`, `rb-new-${suffix}`),
    );
    expect(fresh.proposal_id).toMatch(/^proposal-policy\.self_improving\.regulated-[0-9a-f]{16}$/);
    expect(fresh.existing).toBe(false);
    const description = await ctx.temporal.workflow.getHandle(fresh.proposal_id).describe();
    expect(description.status.name).toBe('RUNNING');

    // A proposal made before readable ids, stored under its guard-loop- id: proposing the same
    // content again returns it rather than starting a twin under the new id.
    const old = seedCalibrationRequest(
      people.proposer,
      `feedback://recent-reviewed?tenant=${tenant}`,
      `rb-old-${suffix}`,
    );
    const { policy_id, source_ref, proposer, ...rest } = old;
    const manifest = await buildManifest(ctx, source_ref);
    const request = calibrationRequestSchema.parse(rest) as unknown as Record<string, unknown>;
    const legacyId = legacyProposalIdFor({
      proposal_type: 'calibration_update',
      policy_id,
      manifest_id: manifest.manifest_id,
      request,
    });
    await insertProposal(
      ctx.pool,
      {
        proposal_id: legacyId,
        proposal_type: 'calibration_update',
        policy_id,
        manifest_id: manifest.manifest_id,
        source_ref,
        request,
        payload: {},
        rollback_id: `rb-old-${suffix}`,
        proposer,
      },
      { state: 'awaiting_approval', approvalTimeoutMs: 60_000 },
    );
    const again = await proposeCalibrationUpdate(ctx, old);
    expect(again).toMatchObject({ proposal_id: legacyId, existing: true });
  });

  it('names monitor runs by what they evaluated and when', () => {
    expect(monitorRunId(['ABP-fa736dd6'], new Date('2026-11-30T05:15:00.123Z'))).toMatch(
      /^monitor-ABP-fa736dd6-20261130T051500Z-[0-9a-f]{6}$/,
    );
    expect(monitorRunId(undefined)).toMatch(/^monitor-all-\d{8}T\d{6}Z-/);
    expect(monitorRunId(['a', 'b', 'c'])).toMatch(/^monitor-3-abps-/);
  });
});
