import type pg from 'pg';
import { appendProvenance } from '../../db/provenance/log';
import { summariseProbes, type ProbeSummary } from '../../domain/endorsement/probe-outcome';
import { applyKernelChange } from '../../domain/kernel/definition';
import { loadKernelVersion, requireAgent } from '../../db/endorsement/agents';
import { requireEndorsement } from '../../db/endorsement/endorsements';
import type { ModelGateway } from '../../models/model-gateway';

/**
 * Runs the agent's probe battery against the sandbox (production kernel plus the staged change)
 * when an endorsement is staged. The summary (ids and severities, never texts) goes to the
 * provenance log; null when the agent has no battery.
 */
export async function runProbeBattery(
  pool: pg.Pool,
  provenanceKey: string,
  models: ModelGateway,
  endorsementId: string,
): Promise<ProbeSummary | null> {
  const endorsement = await requireEndorsement(pool, endorsementId);
  const agent = await requireAgent(pool, endorsement.agentId);
  if (!agent.probeBattery || !endorsement.change) return null;
  const production = await loadKernelVersion(pool, agent.id);
  const sandbox = applyKernelChange(production.definition, endorsement.change);
  const results = [];
  for (const probe of agent.probeBattery) results.push({ probe, answer: await models.reply(sandbox, probe.prompt) });
  const summary = summariseProbes(results);
  await appendProvenance(pool, provenanceKey, {
    kind: 'endorsement.probed',
    subject: `endorsement:${endorsementId}`,
    actor: null,
    payload: {
      kernelVersion: production.version,
      total: summary.total,
      passed: summary.passed,
      failed: summary.failed,
    },
    idempotencyKey: `${endorsementId}/probes`,
  });
  return summary;
}
