import type pg from 'pg';
import { z } from 'zod';
import { appendProvenance, withProvenanceTransaction } from '../../db/provenance/log';
import { combineWithModelReading, detectConflict, proposedChange } from '../../domain/endorsement/conflict';
import {
  commitmentIdSchema,
  commitmentValueSchema,
  operatorPrincipalSchema,
  ruleTextSchema,
} from '../../domain/endorsement/endorsement-request';
import { agentIdSchema, endorsementIdSchema } from '../../domain/endorsement/identifiers';
import { mergeSettings, settingsOverridesSchema } from '../../domain/endorsement/settings';
import { forbidden } from '../../domain/errors';
import { appendKernelVersion, loadKernelVersion, requireAgent } from '../../db/endorsement/agents';
import {
  findEndorsement,
  findOpenEndorsement,
  insertEndorsement,
  type EndorsementRecord,
} from '../../db/endorsement/endorsements';
import { endorseAction, requireOperator } from '../../db/endorsement/operator-role';
import type { ModelGateway } from '../../models/model-gateway';
import type { Registration } from '../../workflows/endorsement/contract';

export const registerInputSchema = z.object({
  endorsementId: endorsementIdSchema,
  agentId: agentIdSchema,
  ruleText: ruleTextSchema,
  commitment: commitmentIdSchema.optional(),
  value: commitmentValueSchema.optional(),
  settings: settingsOverridesSchema.optional(),
  requestedBy: operatorPrincipalSchema.nullable().optional(),
  /** A decision comes with the rule: a rule that conflicts with nothing is then refused, not applied. */
  requireConflict: z.boolean().optional(),
});

export type RegisterInput = z.input<typeof registerInputSchema>;

function fromRecord(r: EndorsementRecord, hasProbeBattery: boolean): Registration {
  return {
    outcome: r.state === 'rejected' || r.state === 'applied' ? r.state : 'pending',
    endorsementId: r.id,
    agentId: r.agentId,
    conflictKind: r.conflictKind,
    target: r.target,
    reason: r.reason,
    openEndorsementId: null,
    settings: r.settings,
    hasProbeBattery,
    baseVersion: r.baseVersion,
    appliedVersion: r.appliedVersion,
  };
}

/**
 * The first step of every endorsement: check that the proposer holds the agent's operator role,
 * detect the conflict (keywords, plus the model's reading when one is configured) and record the
 * outcome. Anchor → rejected at once; no conflict →
 * applied as a new kernel version, unless a decision came with the rule (requireConflict: nothing
 * to decide, so nothing is applied or recorded); commitment → pending a decision, unless one is
 * already open for the same agent and commitment. Retry-safe: a registered id returns what was recorded.
 */
export async function registerEndorsement(
  pool: pg.Pool,
  provenanceKey: string,
  models: ModelGateway,
  raw: RegisterInput,
): Promise<Registration> {
  const input = registerInputSchema.parse(raw);
  const agent = await requireAgent(pool, input.agentId);
  const hasProbeBattery = agent.probeBattery !== null;
  const existing = await findEndorsement(pool, input.endorsementId);
  if (existing) return fromRecord(existing, hasProbeBattery);
  // Proposing a rule changes the agent (a rule that conflicts with nothing is applied right here):
  // the same role as every other operator command, whoever started the workflow.
  if (!input.requestedBy)
    throw forbidden(`endorsing a rule for ${input.agentId} needs the principal who proposes it (requestedBy)`);
  await requireOperator(pool, input.agentId, input.requestedBy, endorseAction(input.agentId));
  const settings = mergeSettings(agent.settings, input.settings);

  const kernelNow = await loadKernelVersion(pool, input.agentId);
  const byKeyword = detectConflict(kernelNow.definition, input.ruleText, input.commitment);
  // The model is asked outside the transaction: a slow model must not hold the agent's lock.
  const reading = input.commitment ? null : await models.classifyRule(kernelNow.definition, input.ruleText);

  return withProvenanceTransaction(pool, async (tx) => {
    await requireAgent(tx, input.agentId, true);
    const kernel = await loadKernelVersion(tx, input.agentId);
    const found =
      kernel.version === kernelNow.version
        ? byKeyword
        : detectConflict(kernel.definition, input.ruleText, input.commitment);
    const result = combineWithModelReading(kernel.definition, found, reading);
    const target =
      result.kind === 'anchor' ? result.anchorId : result.kind === 'commitment' ? result.commitmentId : null;
    const base = {
      endorsementId: input.endorsementId,
      agentId: input.agentId,
      conflictKind: result.kind,
      target,
      reason: result.reason,
      openEndorsementId: null,
      settings,
      hasProbeBattery,
      baseVersion: kernel.version,
      appliedVersion: null,
    } satisfies Omit<Registration, 'outcome'>;

    if (result.kind === 'none' && input.requireConflict) return { ...base, outcome: 'no_conflict' };
    if (result.kind === 'commitment') {
      const open = await findOpenEndorsement(tx, input.agentId, result.commitmentId);
      if (open) {
        return {
          ...base,
          outcome: 'duplicate',
          openEndorsementId: open,
          reason: `endorsement ${open} is already open for ${input.agentId}/${result.commitmentId}`,
        };
      }
    }
    const change = result.kind === 'anchor' ? null : proposedChange(result, input.ruleText, input.value);
    const state = result.kind === 'anchor' ? 'rejected' : result.kind === 'none' ? 'applied' : 'pending';
    const appliedVersion =
      state === 'applied' && change ? await appendKernelVersion(tx, input.agentId, change, input.endorsementId) : null;
    await insertEndorsement(tx, {
      id: input.endorsementId,
      agentId: input.agentId,
      ruleText: input.ruleText,
      conflictKind: result.kind,
      target,
      change,
      reason: result.reason,
      baseVersion: kernel.version,
      settings,
      state,
      requestedBy: input.requestedBy ?? null,
      appliedVersion,
      ...(state === 'rejected' ? { outcomeReason: result.reason } : {}),
    });
    await appendProvenance(tx, provenanceKey, {
      kind: state === 'pending' ? 'endorsement.conflict' : `endorsement.${state}`,
      subject: `endorsement:${input.endorsementId}`,
      actor: input.requestedBy ?? null,
      payload: {
        agent: input.agentId,
        conflict: result.kind,
        target,
        keyword: result.kind === 'none' ? null : result.keyword,
        baseVersion: kernel.version,
        ...(appliedVersion !== null ? { kernelVersion: appliedVersion } : {}),
        ...(reading ? { modelReading: reading.kind } : {}),
      },
    });
    return { ...base, outcome: state, appliedVersion };
  });
}
