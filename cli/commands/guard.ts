import { readFile } from 'node:fs/promises';
import { text as readAll } from 'node:stream/consumers';
import type { Duration } from '@temporalio/common';
import { InvalidArgumentError, type Command } from 'commander';
import type { ProposalView } from '../../domain/guard/proposal-record';
import type { ProposalState } from '../../domain/guard/proposal-state';
import { actingPrincipal, optionalActor, runCommand, table } from '../output';
import { withProgress } from '../with-progress';

function num(option: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || Number.isNaN(n))
      throw new InvalidArgumentError(`${option} must be a number, got "${value}"`);
    return n;
  };
}
const int =
  (option: string) =>
  (value: string): number => {
    const n = num(option)(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${option} must be a whole number, got "${value}"`);
    return n;
  };

/** What proposing prints: the proposal, and first whether it is one proposed before. */
function renderProposed(p: ProposalView & { existing: boolean }): string {
  const head = p.existing
    ? `already proposed: the same evidence and request name ${p.proposal_id} (${p.state}); returning the existing proposal, nothing new was started`
    : `proposed ${p.proposal_id}`;
  return `${head}\n${renderProposal(p)}`;
}

export function renderProposal(p: ProposalView): string {
  const d = p.decision;
  const rows: [string, unknown][] = [
    ['proposal', p.proposal_id],
    ['type', p.proposal_type],
    ['policy', p.policy_id],
    ['state', p.state],
    ['proposer', p.proposer],
    ['decision', d ? `${d.decision} (${d.reason})` : 'pending'],
    ['risk', d ? d.risk_score : '-'],
    ['explanation', d?.tenant_safe_explanation ?? '-'],
    ...(d?.gates ?? []).map((g): [string, unknown] => [
      `gate ${g.gate}`,
      `${g.passed ? 'pass' : 'FAIL'} (observed ${g.observed}, limit ${g.limit})`,
    ]),
    ['source', p.source_ref],
    [
      'manifest',
      `${p.manifest.manifest_id}: ${p.manifest.event_count} events, labels ${JSON.stringify(p.manifest.label_counts)}, reviewers ${p.manifest.reviewer_ids.join(', ')}`,
    ],
    ['rollback id', p.rollback_id],
    [
      'approval',
      p.approval
        ? `${p.approval.approval_id} by ${p.approval.approver} (${p.approval.approver_role}) at ${p.approval.approved_at}`
        : p.approval_deadline
          ? `none yet; deadline ${p.approval_deadline}`
          : 'none',
    ],
    ['released', p.released_at ?? 'no'],
    ['safety event', p.safety_event_id ?? '-'],
  ];
  return table(rows);
}

const approvalTimeoutOption = [
  '--approval-timeout <duration>',
  'how long the proposal waits for an approval, e.g. "7 days", "36h"',
  '7 days',
] as const;

export function registerGuardCommands(program: Command): void {
  const feedback = program.command('feedback').description("Reviewed guardrail feedback (the guard loop's evidence)");
  feedback
    .command('ingest <file>')
    .description(
      'Store a reviewed-feedback NDJSON file ("-" for standard input; rows: prompt, response, label, tenant_id, metadata.event_id, metadata.reviewer_id, timestamp); one bad row refuses the batch',
    )
    .action(async (file: string, _opts, cmd: Command) => {
      const { ingestFeedback } = await import('../../client/guard');
      await runCommand(
        cmd,
        async (ctx) => {
          const text = file === '-' ? await readAll(process.stdin) : await readFile(file, 'utf8');
          return withProgress(cmd, 'ingest', (onProgress) =>
            ingestFeedback(ctx, text, optionalActor(cmd, ctx), onProgress),
          );
        },
        (r) => `stored ${r.inserted} new feedback events (${r.unchanged} already stored, ${r.rows} rows)`,
      );
    });

  program
    .command('policy')
    .description('Guard-loop policies: risk envelope and approver role')
    .command('create <policy-id>')
    .description('Create a guard-loop policy, immutable once created (needs the admin role: --as <admin>)')
    .requiredOption(
      '--action-category <category>',
      'text|tool|code|physical|training|inference_steering|multimodal|sustainability|identity',
    )
    .requiredOption('--reversibility <kind>', 'reversible|costly|irreversible')
    .requiredOption('--domain <domain>', 'general|regulated|physical|financial|medical|legal|security')
    .requiredOption('--calibrated-threshold <x>', 'in [0, 1]', num('--calibrated-threshold'))
    // Commander reads a "--no-" prefix as negation: the value lands in `goThreshold`, and a
    // missing option leaves `true` there rather than failing, hence the check below.
    .requiredOption('--no-go-threshold <x>', 'in [0, 1]', num('--no-go-threshold'))
    .requiredOption('--approver-role <role>', 'the role a principal must hold to approve proposals under this policy')
    .action(
      async (
        policyId: string,
        o: {
          actionCategory: string;
          reversibility: string;
          domain: string;
          calibratedThreshold: number;
          goThreshold: number | boolean;
          approverRole: string;
        },
        cmd: Command,
      ) => {
        const { createPolicy } = await import('../../client/guard');
        if (typeof o.goThreshold !== 'number')
          cmd.error("error: required option '--no-go-threshold <x>' not specified");
        await runCommand(
          cmd,
          (ctx) =>
            createPolicy(
              ctx,
              {
                policy_id: policyId,
                risk_envelope: {
                  action_category: o.actionCategory,
                  reversibility: o.reversibility,
                  domain: o.domain,
                  calibrated_threshold: o.calibratedThreshold,
                  no_go_threshold: o.goThreshold,
                },
                approver_role: o.approverRole,
              },
              optionalActor(cmd, ctx),
            ),
          (r) =>
            `${r.created ? 'created' : 'unchanged'} policy ${r.policy.policy_id} (approver role ${r.policy.approver_role})`,
        );
      },
    );

  const proposal = program
    .command('proposal')
    .description('Guard-loop proposals: gated, approved by a person, released, never applied by Warden');
  proposal
    .command('calibration')
    .description('Propose a threshold calibration update from reviewed feedback')
    .requiredOption('--policy <policy-id>', 'guard-loop policy')
    .requiredOption('--source <ref>', 'feedback://<name>[?tenant=…&label=…&reviewer=…&since=…&until=…]')
    .requiredOption('--current <x>', 'current threshold', num('--current'))
    .requiredOption('--candidate <x>', 'candidate threshold', num('--candidate'))
    .requiredOption('--ci-low <x>', 'confidence interval low', num('--ci-low'))
    .requiredOption('--ci-high <x>', 'confidence interval high', num('--ci-high'))
    .requiredOption('--rollback-id <id>', 'the profile to roll back to')
    .option('--min-feedback <n>', 'reviewed events required', int('--min-feedback'), 32)
    .option('--max-interval-width <x>', 'widest acceptable interval', num('--max-interval-width'), 0.1)
    .option(...approvalTimeoutOption)
    .action(
      async (
        o: {
          policy: string;
          source: string;
          current: number;
          candidate: number;
          ciLow: number;
          ciHigh: number;
          rollbackId: string;
          minFeedback: number;
          maxIntervalWidth: number;
          approvalTimeout: string;
        },
        cmd: Command,
      ) => {
        const { proposeCalibrationUpdate } = await import('../../client/guard');
        await runCommand(
          cmd,
          (ctx) =>
            proposeCalibrationUpdate(ctx, {
              policy_id: o.policy,
              source_ref: o.source,
              proposer: actingPrincipal(cmd, ctx),
              approval_timeout: o.approvalTimeout as Duration,
              current_threshold: o.current,
              candidate_threshold: o.candidate,
              confidence_low: o.ciLow,
              confidence_high: o.ciHigh,
              rollback_id: o.rollbackId,
              min_feedback: o.minFeedback,
              max_interval_width: o.maxIntervalWidth,
            }),
          renderProposed,
        );
      },
    );
  proposal
    .command('lora')
    .description('Propose (never submit) a LoRA training job from reviewed feedback')
    .requiredOption('--policy <policy-id>', 'guard-loop policy')
    .requiredOption('--source <ref>', 'feedback://<name>[?tenant=…&label=…&reviewer=…&since=…&until=…]')
    .requiredOption('--dataset-uri <uri>', 'training data location; URIs carrying credentials are refused')
    .requiredOption('--base-model-ref <ref>', 'model to fine-tune')
    .requiredOption('--heldout <x>', 'held-out score of the candidate', num('--heldout'))
    .requiredOption('--baseline <x>', 'held-out score of the baseline', num('--baseline'))
    .requiredOption('--rollback-id <id>', 'the model to roll back to')
    .option('--min-improvement <x>', 'required held-out gain', num('--min-improvement'), 0)
    .option('--min-feedback <n>', 'reviewed events required', int('--min-feedback'), 32)
    .option(...approvalTimeoutOption)
    .action(
      async (
        o: {
          policy: string;
          source: string;
          datasetUri: string;
          baseModelRef: string;
          heldout: number;
          baseline: number;
          rollbackId: string;
          minImprovement: number;
          minFeedback: number;
          approvalTimeout: string;
        },
        cmd: Command,
      ) => {
        const { proposeLoraJob } = await import('../../client/guard');
        await runCommand(
          cmd,
          (ctx) =>
            proposeLoraJob(ctx, {
              policy_id: o.policy,
              source_ref: o.source,
              proposer: actingPrincipal(cmd, ctx),
              approval_timeout: o.approvalTimeout as Duration,
              dataset_uri: o.datasetUri,
              base_model_ref: o.baseModelRef,
              heldout_score: o.heldout,
              baseline_score: o.baseline,
              rollback_id: o.rollbackId,
              min_improvement: o.minImprovement,
              min_feedback: o.minFeedback,
            }),
          renderProposed,
        );
      },
    );
  proposal
    .command('list')
    .description('Proposals, newest first: state, decision, approval deadline')
    .option('--state <state>', 'only this state: gating, warned, awaiting_approval, approved, released, expired')
    .option('--policy <policy-id>', 'only proposals under this policy')
    .option('--limit <n>', 'how many', int('--limit'), 30)
    .action(async (o: { state?: string; policy?: string; limit: number }, cmd: Command) => {
      const { listProposals } = await import('../../client/guard');
      const { PROPOSAL_STATES } = await import('../../domain/guard/proposal-state');
      const { invalid } = await import('../../domain/errors');
      await runCommand(
        cmd,
        async (ctx) => {
          if (o.state !== undefined && !(PROPOSAL_STATES as readonly string[]).includes(o.state)) {
            throw invalid(`--state: expected one of ${PROPOSAL_STATES.join(', ')}, got "${o.state}"`);
          }
          return listProposals(ctx, {
            state: o.state as ProposalState | undefined,
            policyId: o.policy,
            limit: o.limit,
          });
        },
        (list) =>
          list.length === 0
            ? 'no proposals'
            : list
                .map(
                  (p) =>
                    `${p.proposal_id.padEnd(40)} ${p.state.padEnd(17)} ${p.proposal_type.padEnd(18)} ${p.policy_id}  by ${p.proposer}` +
                    `${p.state === 'awaiting_approval' && p.approval_deadline ? `  due ${p.approval_deadline}` : ''}`,
                )
                .join('\n'),
      );
    });
  proposal
    .command('manifest')
    .description(
      "The seed's build_manifest: a tenant-safe manifest of the reviewed feedback a source selects (never text)",
    )
    .requiredOption('--source <ref>', 'feedback://<name>[?tenant=…&label=…&reviewer=…&since=…&until=…]')
    .action(async (o: { source: string }, cmd: Command) => {
      const { buildManifest } = await import('../../client/guard');
      await runCommand(
        cmd,
        (ctx) => buildManifest(ctx, o.source),
        (m) =>
          table([
            ['manifest', m.manifest_id],
            ['source', m.source_ref],
            ['events', m.event_count],
            ['labels', JSON.stringify(m.label_counts)],
            ['reviewers', m.reviewer_ids.join(', ')],
          ]),
      );
    });
  proposal
    .command('safety-event <proposal-id>')
    .description(
      "The seed's to_safety_event: the decision as a tenant-safe event (without --hook-id, the one Warden stored)",
    )
    .option('--hook-id <id>', 'the hook that emits the event')
    .option('--hook-scope <scope>', 'agent (default), streaming, containment, …')
    .option('--request-id <id>', 'request id (default empty)')
    .option('--tenant-id <id>', 'tenant id (default empty)')
    .option('--latency-ms <ms>', 'latency to report (default none)', num('--latency-ms'))
    .action(
      async (
        id: string,
        o: { hookId?: string; hookScope?: string; requestId?: string; tenantId?: string; latencyMs?: number },
        cmd: Command,
      ) => {
        const { toSafetyEvent } = await import('../../client/guard');
        const given =
          o.hookId !== undefined ||
          o.hookScope !== undefined ||
          o.requestId !== undefined ||
          o.tenantId !== undefined ||
          o.latencyMs !== undefined;
        const options = {
          hookId: o.hookId ?? '',
          ...(o.hookScope !== undefined ? { hookScope: o.hookScope as 'agent' } : {}),
          ...(o.requestId !== undefined ? { requestId: o.requestId } : {}),
          ...(o.tenantId !== undefined ? { tenantId: o.tenantId } : {}),
          ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
        };
        await runCommand(
          cmd,
          (ctx) => toSafetyEvent(ctx, id, given ? options : undefined),
          (event) => JSON.stringify(event, null, 2),
        );
      },
    );
  proposal
    .command('show <proposal-id>')
    .description('Decision, reason, risk, gates and manifest of a proposal (never feedback text)')
    .action(async (id: string, _opts, cmd: Command) => {
      const { showProposal } = await import('../../client/guard');
      await runCommand(cmd, (ctx) => showProposal(ctx, id), renderProposal);
    });
  proposal
    .command('approve <proposal-id>')
    .description("Approve an allow proposal (needs the policy's approver role; not its proposer)")
    .requiredOption('--approval-id <id>', 'the review record this approval refers to')
    .action(async (id: string, o: { approvalId: string }, cmd: Command) => {
      const { approve } = await import('../../client/guard');
      await runCommand(
        cmd,
        (ctx) => approve(ctx, id, { approval_id: o.approvalId, approver: actingPrincipal(cmd, ctx) }),
        (a) => `approved ${id}: ${a.approval_id} by ${a.approver} (${a.approver_role})`,
      );
    });
  proposal
    .command('release <proposal-id>')
    .description('Print the approved payload for an external deployment controller (Warden applies nothing)')
    .action(async (id: string, _opts, cmd: Command) => {
      const { release } = await import('../../client/guard');
      await runCommand(
        cmd,
        (ctx) => release(ctx, id, actingPrincipal(cmd, ctx)),
        (payload) => JSON.stringify(payload, null, 2),
      );
    });
  proposal
    .command('bundle <proposal-id>')
    .description(
      'Manifest, decision, approval, rollback id and payload of a released proposal as one JSON audit record',
    )
    .action(async (id: string, _opts, cmd: Command) => {
      const { proposalBundle } = await import('../../client/guard');
      await runCommand(
        cmd,
        (ctx) => proposalBundle(ctx, id),
        (bundle) => JSON.stringify(bundle, null, 2),
      );
    });
}
