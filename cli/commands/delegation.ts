import { readFile } from 'node:fs/promises';
import { text as readAll } from 'node:stream/consumers';
import { InvalidArgumentError, type Command } from 'commander';
import type { TriggerCard } from '../../client/delegation';
import type { ApplyOutcome } from '../../domain/delegation/apply-outcome';
import type { ApprovalDryRun, ReviewRow } from '../../client/delegation-reviews';
import type { AbpVersionDiff, DiffSide } from '../../client/abp-version-diff';
import type { EvidenceRow, ReviewEvidence } from '../../client/review-evidence';
import type { JsonChange } from '../../domain/delegation/abp-diff';
import type { EvaluationReport, Verification } from '../../client/delegation';
import { INTAKE_KINDS, type IntakeKind } from '../../domain/delegation/intake-kinds';
import { triggerCountText } from '../../domain/delegation/trigger-count-text';
import type { ReviewOutputKind } from '../../domain/delegation/schema';
import type { ActionVerdict } from '../../domain/delegation/validators';
import { invalid } from '../../domain/errors';
import { actingPrincipal, EXIT_FAILURE, exitUnlessOk, optionalActor, runCommand, table } from '../output';
import { withProgress } from '../with-progress';

const REVIEW_STATES = ['queued', 'open', 'applied', 'dismissed', 'timed_out', 'failed'] as const;
const OUTPUT_KINDS = ['abp_patch', 'abp_replace', 'abp_revoke'] as const;

function oneOf<T extends string>(option: string, values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value))
      throw new InvalidArgumentError(`${option} must be one of ${values.join(', ')}, got "${value}"`);
    return value as T;
  };
}

/** Reads a YAML or JSON document (YAML is a superset of JSON); `-` reads standard input. */
async function readDocument(path: string): Promise<unknown> {
  const text = await readText(path);
  const { parse: parseYaml } = await import('yaml');
  try {
    return parseYaml(text);
  } catch (error) {
    throw invalid(`${path}: not YAML or JSON (${(error as Error).message})`);
  }
}

async function readText(path: string): Promise<string> {
  if (path !== '-') {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw invalid(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  return readAll(process.stdin);
}

const mark = (passed: boolean) => (passed ? 'pass' : 'FAIL');

function renderVerification(v: Verification): string {
  const lines = [`${v.ok ? 'VALID' : 'INVALID'} ${v.abpId} ${v.abpHash ?? ''} (${v.status})`];
  for (const c of v.checks) lines.push(`  [${mark(c.passed)}] ${c.gate}: ${c.detail}`);
  for (const e of v.exports) {
    lines.push(`  export ${e.exportId} (${e.fileName})`);
    for (const g of e.gates) lines.push(`    [${mark(g.passed)}] ${g.gate}: ${g.detail}`);
  }
  return lines.join('\n');
}

/** Each validator's result and each escalation it fired: the body of a check's or an outcome's verdict. */
function renderValidatorResults(v: ActionVerdict): string[] {
  return [
    ...v.results.map((x) => `  [${mark(x.passed)}] ${x.name} (${x.when}, ${x.failAction}): ${x.detail}`),
    ...v.escalations.map((e) => `  escalated to ${e.destination} (${e.severity}) by ${e.validator}`),
  ];
}

function renderEvaluation(r: EvaluationReport): string[] {
  const e = r.evaluation;
  if (!e) return [`triggers not evaluated now (${r.evaluationError}); the monitor schedule will`];
  if (e.pending) return [`trigger evaluation queued as ${e.pending} (no worker answered yet)`];
  // A trigger that was tripped already, with its review open, did not trip now.
  const underReview = new Set(e.underReview ?? []);
  const fresh = e.tripped.filter((t) => !underReview.has(t));
  return [
    `newly tripped: ${fresh.join(', ') || 'none'}`,
    ...(underReview.size ? [`still tripped, review already active: ${[...underReview].join(', ')}`] : []),
    ...(e.opened.length ? [`review opened: ${e.opened.join(', ')}`] : []),
    ...(e.queued.length ? [`review queued for a person: ${e.queued.join(', ')}`] : []),
    ...(e.periodic.length ? [`periodic validators failing: ${e.periodic.join(', ')}`] : []),
  ];
}

function renderOutcome(outcome: ApplyOutcome | { state: string } | null): string[] {
  if (!outcome || !('outputKind' in outcome)) return [];
  const lines = [`  outcome: ${outcome.state} (${outcome.outputKind}, approved by ${outcome.approvers.join(', ')})`];
  if (outcome.next)
    lines.push(
      `  ${outcome.previous.abpId} ${outcome.previous.abpHash} -> ${outcome.next.abpId} ${outcome.next.abpHash} (${outcome.next.status})`,
    );
  const gates = outcome.exports.flatMap((e) => e.gates);
  lines.push(
    `  exports: ${outcome.exports.length}, gates passed ${gates.filter((g) => g.passed).length}/${gates.length}`,
  );
  for (const f of outcome.failure) lines.push(`  FAILED ${f}`);
  return lines;
}

const shown = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));

/** One line per changed field: `+` added, `-` removed, `~` changed (the dry run's and `abp diff`'s format). */
function renderChanges(diff: JsonChange[]): string[] {
  return diff.map((c) =>
    c.op === 'added'
      ? `  + ${c.path}: ${shown(c.after)}`
      : c.op === 'removed'
        ? `  - ${c.path}: ${shown(c.before)}`
        : `  ~ ${c.path}: ${shown(c.before)} -> ${shown(c.after)}`,
  );
}

const versionName = (v: DiffSide) => `${v.abpId} ${v.number === null ? '' : `v${v.number} `}${v.hash}`;

function renderVersionDiff(d: AbpVersionDiff): string {
  const lines = [`${versionName(d.from)} -> ${versionName(d.to)}`, ...renderChanges(d.diff)];
  if (d.diff.length === 0) lines.push('  (no change)');
  return lines.join('\n');
}

function renderEvidenceRow(row: EvidenceRow): string {
  switch (row.kind) {
    case 'drift_signal':
      return `${row.at}  signal ${row.id}  ${row.fingerprintKey} (${row.keyCount} in scope)  ${row.type} ${row.severity}`;
    case 'blocked_action':
      return `${row.at}  blocked ${row.stage} ${row.id}  agent ${row.agentId ?? '-'}  ${row.tool ?? '-'} for ${row.objective ?? '-'}`;
    case 'coherence_run':
      return `${row.at}  run ${row.id}  score ${row.score}`;
    case 'expired_claim':
      return `${row.at}  claim ${row.id} expired  (observed ${row.observedAt ?? '-'})`;
  }
}

function renderEvidence(e: ReviewEvidence): string {
  const window = `${e.scope.from ?? 'no window'} .. ${e.scope.to}${e.scope.since ? `, after ${e.scope.since}` : ''}`;
  const shownTo = e.offset + e.rows.length;
  return [
    `${e.reviewId}: ${e.triggerId} ${e.triggerName} (${e.kind}) of ${e.abpId} ${e.abpHash}`,
    `  counted ${window}${e.reading ? `; reading ${e.reading.current} against ${e.reading.threshold}` : ''}`,
    `  rows ${e.rows.length ? e.offset + 1 : 0}-${shownTo} of ${e.total}, newest first${shownTo < e.total ? ` (next: --offset ${shownTo})` : ''}`,
    ...e.rows.map((r) => `  ${renderEvidenceRow(r)}`),
  ].join('\n');
}

function renderDryRun(r: ApprovalDryRun): string {
  const lines = [
    `dry run of ${r.outputKind} on ${r.reviewId}: ${r.ok ? 'would apply' : 'would NOT apply'} (no vote recorded)`,
  ];
  if (r.outputHash) lines.push(`  output ${r.outputHash}`);
  if (r.current && r.next)
    lines.push(`  ${r.current.abpId} ${r.current.abpHash} -> ${r.next.abpId} ${r.next.abpHash} (${r.next.status})`);
  lines.push(...renderChanges(r.diff));
  for (const e of r.exports) {
    lines.push(`  export ${e.exportId} (${e.fileName})`);
    for (const g of e.gates) lines.push(`    [${mark(g.passed)}] ${g.gate}: ${g.detail}`);
  }
  for (const i of r.issues) lines.push(`  PROBLEM ${i.field}: ${i.message}`);
  return lines.join('\n');
}

function renderCards(cards: TriggerCard[]): string {
  if (cards.length === 0) return 'no delegation review triggers';
  return cards
    .map((c) => {
      const bar = '#'.repeat(Math.round(c.progress / 10)).padEnd(10, '.');
      const review = c.activeReview ? `  review ${c.activeReview.reviewId} (${c.activeReview.state})` : '';
      return (
        `${c.triggerId} ${c.name.padEnd(30)} ${c.state.padEnd(7)} [${bar}] ${String(c.progress).padStart(3)}%  ${triggerCountText(c)}` +
        `  ${c.severity}${c.autoOpen ? ', auto-open' : ', manual'}${review}`
      );
    })
    .join('\n');
}

function renderReviews(list: ReviewRow[]): string {
  if (list.length === 0) return 'no reviews';
  return list
    .map(
      (r) =>
        `${r.reviewId.padEnd(30)} ${r.state.padEnd(9)} ${r.severity.padEnd(8)} ${r.abpId} ${r.triggerId}  opened by ${r.openedBy ?? '-'}`,
    )
    .join('\n');
}

export function registerDelegationCommands(program: Command): void {
  const abp = program.command('abp').description('Authority Boundary Primitives (ABP v1): what agents may do');
  abp
    .command('build <file>')
    .description(
      'Validate an ABP spec (YAML or JSON), compute its id and hash, store the version and make it current (needs the admin role: --as <admin>)',
    )
    .action(async (file: string, _opts, cmd: Command) => {
      const { buildAbpFromSpec } = await import('../../client/delegation');
      await runCommand(
        cmd,
        async (ctx) => buildAbpFromSpec(ctx, await readDocument(file), optionalActor(cmd, ctx)),
        (r) =>
          table([
            ['abp_id', r.abp.abp_id],
            ['hash', r.abp.hash],
            ['stored', r.created ? 'new version' : 'unchanged'],
            ['current', r.madeCurrent ? 'yes (now)' : 'yes'],
            ['exports', r.exports.map((e) => e.exportId).join(', ')],
          ]),
      );
    });
  abp
    .command('show <abp-id>')
    .description('The current (or latest) version, its history and exports')
    .action(async (abpId: string, _opts, cmd: Command) => {
      const { showAbp } = await import('../../client/delegation');
      await runCommand(
        cmd,
        (ctx) => showAbp(ctx, abpId),
        (v) =>
          [
            table([
              ['abp_id', v.abpId],
              ['status', v.statusReason ? `${v.status}: ${v.statusReason}` : v.status],
              ['replaced by', v.replacedBy ?? '-'],
              ['hash', (v.abp as { hash?: string }).hash ?? '?'],
              ['exports', v.exports.map((e) => `${e.exportId}@${e.stamp}`).join(', ') || '-'],
            ]),
            'versions:',
            ...v.versions.map(
              (x) =>
                `  v${x.number} ${x.recordedAt} ${x.source.padEnd(7)} ${x.hash}${x.reviewId ? ` (review ${x.reviewId})` : ''}`,
            ),
            JSON.stringify(v.abp, null, 2),
          ].join('\n'),
      );
    });
  abp
    .command('diff <abp-id>')
    .description('Field by field, one version of the ABP against another (numbers as `abp show` lists them)')
    .option('--from <n>', 'the older version (default: the one before --to)')
    .option('--to <n>', 'the newer version (default: the current one)')
    .action(async (abpId: string, opts: { from?: string; to?: string }, cmd: Command) => {
      const { abpVersionDiff } = await import('../../client/abp-version-diff');
      await runCommand(cmd, (ctx) => abpVersionDiff(ctx, abpId, { from: opts.from, to: opts.to }), renderVersionDiff);
    });
  abp
    .command('verify <abp-id>')
    .description('Recompute hash and id, check contradictions, run the gates on every export; exit 1 on any failure')
    .action(async (abpId: string, _opts, cmd: Command) => {
      const { verifyAbp } = await import('../../client/delegation');
      await runCommand(cmd, async (ctx) => exitUnlessOk(await verifyAbp(ctx, abpId)), renderVerification);
    });
  abp
    .command('compose <parent-id>')
    .description(
      "Compose: store a new parent version listing the children by id and hash, and stamp each child's composition.parent_*",
    )
    .requiredOption('--child <child-id...>', 'one or more child ABP ids')
    .action(async (parentId: string, opts: { child: string[] }, cmd: Command) => {
      const { composeAbp } = await import('../../client/delegation');
      await runCommand(
        cmd,
        (ctx) => composeAbp(ctx, parentId, opts.child, optionalActor(cmd, ctx)),
        (r) =>
          [
            `parent ${r.parent.abp_id} ${r.parent.hash}`,
            ...r.children.map(
              (c) => `  child ${c.abp_id} ${c.hash} (parent_abp_hash ${c.composition.parent_abp_hash})`,
            ),
          ].join('\n'),
      );
    });
  abp
    .command('export <abp-id> <export-id>')
    .description("Print one export's document as stored (where every replica reads it)")
    .action(async (abpId: string, exportId: string, _opts, cmd: Command) => {
      const { readExport } = await import('../../client/delegation');
      await runCommand(
        cmd,
        (ctx) => readExport(ctx, abpId, exportId),
        (v) => JSON.stringify(v.document, null, 2),
      );
    });
  abp
    .command('schema')
    .description('Print the ABP v1 JSON Schema (draft 2020-12)')
    .action(async () => {
      const { abpJsonSchema } = await import('../../domain/delegation/json-schema');
      // JSON either way, and no connection needed.
      process.stdout.write(`${JSON.stringify(abpJsonSchema(), null, 2)}\n`);
    });

  const action = program
    .command('action')
    .description('The execution umbrella: check actions against an ABP, report their outcomes');
  action
    .command('check <abp-id>')
    .description("Run the ABP's pre_action and periodic validators on an action; exit 1 when it is blocked")
    .requiredOption('--action <file>', 'the action (JSON or YAML)')
    .action(async (abpId: string, opts: { action: string }, cmd: Command) => {
      const { checkAbpAction } = await import('../../client/delegation');
      await runCommand(
        cmd,
        async (ctx) => {
          const r = await checkAbpAction(ctx, abpId, await readDocument(opts.action), { waitForEvaluation: true });
          return { value: r, exitCode: r.allowed ? 0 : EXIT_FAILURE };
        },
        (r) =>
          [
            `${r.decision.toUpperCase()} (${r.checkId})`,
            ...renderValidatorResults(r),
            ...(r.evaluation || r.evaluationError ? renderEvaluation(r) : []),
          ].join('\n'),
      );
    });

  action
    .command('report <abp-id>')
    .description(
      "Report an allowed action's outcome and run the ABP's post_action validators on it; exit 1 when one blocks",
    )
    .requiredOption('--check <check-id>', 'the check_id `action check` gave the action')
    .requiredOption(
      '--outcome <file>',
      'the outcome (JSON or YAML): status, tool, touched, cost, irreversible, summary',
    )
    .action(async (abpId: string, opts: { check: string; outcome: string }, cmd: Command) => {
      const { reportActionOutcome } = await import('../../client/delegation');
      await runCommand(
        cmd,
        async (ctx) => {
          const r = await reportActionOutcome(
            ctx,
            abpId,
            opts.check,
            await readDocument(opts.outcome),
            optionalActor(cmd, ctx),
          );
          return { value: r, exitCode: r.allowed ? 0 : EXIT_FAILURE };
        },
        (r) =>
          [
            `${r.decision === 'blocked' ? 'POST-ACTION VIOLATION' : r.decision.toUpperCase()} (${r.checkId})`,
            ...renderValidatorResults(r),
            ...(r.degradedAgent !== null
              ? [
                  `  agent ${r.degradedAgent || '(unnamed)'} degraded: its checks under ${r.abpId} are blocked until an operator clears it`,
                ]
              : []),
            ...(r.evaluation || r.evaluationError ? renderEvaluation(r) : []),
          ].join('\n'),
      );
    });
  action
    .command('clear <abp-id>')
    .description('Let an agent degraded by a post_action validator act under the ABP again (role operator or admin)')
    .option('--agent <agent-id>', 'the agent (leave out for actions that named no agent)')
    .requiredOption('--reason <text>', 'why')
    .action(async (abpId: string, opts: { agent?: string; reason: string }, cmd: Command) => {
      const { clearDegradedAgent } = await import('../../client/delegation');
      await runCommand(
        cmd,
        (ctx) =>
          clearDegradedAgent(ctx, abpId, opts.agent ?? null, {
            principal: actingPrincipal(cmd, ctx),
            reason: opts.reason,
          }),
        (r) => `agent ${r.agentId ?? '(unnamed)'} cleared under ${r.abpId} (${r.cleared.join(', ')})`,
      );
    });

  program
    .command('drift')
    .description('Evidence for the delegation triggers')
    .command('ingest <file>')
    .description(
      'Ingest NDJSON drift signals, coherence runs and claims (kind per row, or --kind for the file); one bad row refuses the batch',
    )
    .option('--kind <kind>', `kind of every row: ${INTAKE_KINDS.join(', ')}`, oneOf('--kind', INTAKE_KINDS))
    .action(async (file: string, opts: { kind?: IntakeKind }, cmd: Command) => {
      const { ingestEvidence } = await import('../../client/delegation');
      await runCommand(
        cmd,
        async (ctx) => {
          const text = await readText(file);
          return withProgress(cmd, 'ingest', (onProgress) =>
            ingestEvidence(ctx, text, {
              kind: opts.kind,
              actor: optionalActor(cmd, ctx),
              onProgress,
              waitForEvaluation: true,
            }),
          );
        },
        (r) =>
          [
            `drift signals ${r.driftSignals.stored}/${r.driftSignals.received}, coherence runs ${r.coherenceRuns.stored}/${r.coherenceRuns.received}, claims ${r.claims.stored}/${r.claims.received} stored (new/received)`,
            ...renderEvaluation(r),
          ].join('\n'),
      );
    });

  program
    .command('triggers <abp-id>')
    .description('One card per delegation review trigger: state clear|armed|tripped, count/threshold, progress')
    .action(async (abpId: string, _opts, cmd: Command) => {
      const { triggerCards } = await import('../../client/delegation');
      await runCommand(cmd, (ctx) => triggerCards(ctx, abpId), renderCards);
    });

  const listReviews = (command: Command) =>
    command
      .option(
        '--state <state>',
        `only reviews in this state: ${REVIEW_STATES.join(', ')}`,
        oneOf('--state', REVIEW_STATES),
      )
      .option('--abp <abp-id>', 'only reviews of this ABP')
      .action(async (opts: { state?: (typeof REVIEW_STATES)[number]; abp?: string }, cmd: Command) => {
        const { reviews } = await import('../../client/delegation-reviews');
        await runCommand(cmd, (ctx) => reviews(ctx, { state: opts.state, abpId: opts.abp }), renderReviews);
      });
  listReviews(program.command('reviews').description('Delegation reviews, oldest first (the same as `review list`)'));

  const review = program.command('review').description('Act on one delegation review');
  listReviews(review.command('list').description('Delegation reviews, oldest first'));
  review
    .command('show <review-id>')
    .description('A review with its votes, deadline and live workflow state (once it has a workflow)')
    .action(async (reviewId: string, _opts, cmd: Command) => {
      const { showReview } = await import('../../client/delegation-reviews');
      await runCommand(
        cmd,
        (ctx) => showReview(ctx, reviewId),
        (r) =>
          [
            renderReviews([r]),
            ...r.votes.map(
              (v) =>
                `  ${v.decision} by ${v.principal}${v.outputKind ? ` (${v.outputKind} ${v.outputHash})` : ''}: ${v.reason}`,
            ),
            ...(r.state === 'open'
              ? [
                  `  ${r.live?.approvals.length ?? r.votes.filter((v) => v.decision === 'approve').length}/${r.policy.threshold} approvals by ${r.policy.approver_role}; deadline ${r.deadline ?? 'none'}`,
                ]
              : []),
            ...(r.state === 'open' && !r.workflowStarted
              ? [
                  `  no workflow yet: it starts on the first vote${r.deadline ? `, or shortly before its deadline ${r.deadline}` : ''}`,
                ]
              : []),
            ...renderOutcome(r.outcome as ApplyOutcome | { state: string } | null),
          ].join('\n'),
      );
    });
  review
    .command('evidence <review-id>')
    .description(
      'The evidence rows its trigger counted when the review was queued, newest first (ids, names, times, values)',
    )
    .option('--limit <n>', 'rows per page (1-200)', '50')
    .option('--offset <n>', 'rows to skip', '0')
    .action(async (reviewId: string, opts: { limit: string; offset: string }, cmd: Command) => {
      const { reviewEvidence } = await import('../../client/review-evidence');
      await runCommand(cmd, (ctx) => reviewEvidence(ctx, reviewId, opts), renderEvidence);
    });
  review
    .command('diff <review-id>')
    .description('The ABP version the review was opened on against the one it applied (or the current one)')
    .action(async (reviewId: string, _opts, cmd: Command) => {
      const { reviewVersionDiff } = await import('../../client/abp-version-diff');
      await runCommand(cmd, (ctx) => reviewVersionDiff(ctx, reviewId), renderVersionDiff);
    });
  review
    .command('open <abp-id> <trigger-id>')
    .description('Open a review by hand (a queued one, e.g. from an auto_open=false trigger, or a new one)')
    .action(async (abpId: string, triggerId: string, _opts, cmd: Command) => {
      const { openReview } = await import('../../client/delegation-reviews');
      await runCommand(
        cmd,
        (ctx) => openReview(ctx, abpId, triggerId, actingPrincipal(cmd, ctx)),
        (r) => renderReviews([r]),
      );
    });
  review
    .command('approve <review-id>')
    .description('Approve an output: a JSON Merge Patch file (abp_patch), a full ABP spec (abp_replace) or "revoke"')
    .requiredOption('--output <file|revoke>', 'patch.json, replace.yaml or the word revoke')
    .option('--reason <text>', 'why (required unless --dry-run)')
    .option(
      '--kind <kind>',
      "abp_patch or abp_replace (default: the review policy's output)",
      oneOf('--kind', OUTPUT_KINDS),
    )
    .option('--dry-run', 'show the resulting ABP diff, its new hash and the export gates; record no vote')
    .action(
      async (
        reviewId: string,
        opts: { output: string; reason?: string; kind?: ReviewOutputKind; dryRun?: boolean },
        cmd: Command,
      ) => {
        const { approveReview, dryRunApproval } = await import('../../client/delegation-reviews');
        // Without --kind the review policy's output decides (the seed's "default output type").
        const output = async (): Promise<{ outputKind?: ReviewOutputKind; document: unknown }> => {
          if (opts.output === 'revoke') return { outputKind: 'abp_revoke', document: { reason: opts.reason ?? '' } };
          return { outputKind: opts.kind, document: await readDocument(opts.output) };
        };
        if (opts.dryRun) {
          await runCommand(
            cmd,
            async (ctx) => {
              const r = await dryRunApproval(ctx, reviewId, {
                principal: actingPrincipal(cmd, ctx),
                ...(await output()),
              });
              return { value: r, exitCode: r.ok ? 0 : EXIT_FAILURE };
            },
            renderDryRun,
          );
          return;
        }
        await runCommand(
          cmd,
          async (ctx) => {
            if (opts.reason === undefined) throw invalid('--reason: required (why you approve); --dry-run needs none');
            return approveReview(ctx, reviewId, {
              principal: actingPrincipal(cmd, ctx),
              ...(await output()),
              reason: opts.reason,
            });
          },
          (r) =>
            `approval recorded (${r.outputHash}): ${r.approvals}/${r.threshold}${r.decided ? ', threshold met: applying' : ''}`,
        );
      },
    );
  review
    .command('dismiss <review-id>')
    .description('End a review without changing the ABP')
    .requiredOption('--reason <text>', 'why')
    .action(async (reviewId: string, opts: { reason: string }, cmd: Command) => {
      const { dismissReview } = await import('../../client/delegation-reviews');
      await runCommand(
        cmd,
        (ctx) => dismissReview(ctx, reviewId, { principal: actingPrincipal(cmd, ctx), reason: opts.reason }),
        () => `review ${reviewId} dismissed`,
      );
    });
}
