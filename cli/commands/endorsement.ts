import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { EndorseResult, EndorsementReport, EndorsementView } from '../../client/endorsement';
import type { WardenContext } from '../../client/context';
import type { SettingsOverrides } from '../../domain/endorsement/settings';
import { isDecision, type Decision, type EndorsementState } from '../../domain/endorsement/states';
import { invalid } from '../../domain/errors';
import { conflictPrompt } from '../conflict-prompt';
import { actingPrincipal, EXIT_FAILURE, optionalActor, runCommand, table } from '../output';

interface SettingsFlags {
  cooldownBase?: string;
  cooldownMax?: string;
  probePenalty?: string | boolean;
  minSamples?: string;
  samplingRate?: string;
  decisionTimeout?: string;
  l1?: string;
  l2?: string;
  l3?: string;
}

function withSettingsFlags(cmd: Command): Command {
  return (
    cmd
      .option('--cooldown-base <seconds>', 'base cooldown (default 300)')
      .option('--cooldown-max <seconds>', 'maximum cooldown (default 3600)')
      // commander reads a `--no-…` option as a negation, so the value arrives as `probePenalty`.
      .option('--no-probe-penalty <seconds>', 'extra cooldown when the agent has no probe battery (default 120)')
      .option('--min-samples <n>', 'scored shadow samples needed for promotion (default 20)')
      .option('--sampling-rate <0..1>', 'share of live traffic mirrored to the sandbox (default 1.0)')
      .option('--decision-timeout <seconds>', 'how long a pending decision waits before it expires (default 7 days)')
      .option('--l1 <score>', 'divergence warning threshold (default 0.15)')
      .option('--l2 <score>', 'divergence threshold for the judge; promotion needs a mean below it (default 0.30)')
      .option('--l3 <score>', 'critical divergence threshold (default 0.50)')
  );
}

function numberFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw invalid(`--${name}: expected a number, got "${raw}"`);
  return n;
}

function settingsFromFlags(f: SettingsFlags): SettingsOverrides {
  const s: SettingsOverrides = {};
  const put = <K extends keyof SettingsOverrides>(key: K, value: SettingsOverrides[K] | undefined) => {
    if (value !== undefined) s[key] = value;
  };
  put('cooldownBaseSeconds', numberFlag('cooldown-base', f.cooldownBase));
  put('cooldownMaxSeconds', numberFlag('cooldown-max', f.cooldownMax));
  put(
    'noProbePenaltySeconds',
    numberFlag('no-probe-penalty', typeof f.probePenalty === 'string' ? f.probePenalty : undefined),
  );
  put('minSamples', numberFlag('min-samples', f.minSamples));
  put('samplingRate', numberFlag('sampling-rate', f.samplingRate));
  put('decisionTimeoutSeconds', numberFlag('decision-timeout', f.decisionTimeout));
  const thresholds = Object.fromEntries(
    (['l1', 'l2', 'l3'] as const).flatMap((k) => (f[k] === undefined ? [] : [[k, numberFlag(k, f[k])]])),
  );
  if (Object.keys(thresholds).length > 0) s.thresholds = thresholds;
  return s;
}

function renderView(v: EndorsementView): string {
  const rows: [string, unknown][] = [
    ['endorsement', v.endorsementId],
    ['agent', v.agentId],
    ['state', v.state],
  ];
  if (v.registration)
    rows.push([
      'conflict',
      `${v.registration.conflictKind}${v.registration.target ? ` ${v.registration.target}` : ''}`,
    ]);
  if (v.deadlineMs !== null && (v.state === 'staged' || v.state === 'inconclusive'))
    rows.push(['cooldown until', new Date(v.deadlineMs).toISOString()]);
  if (v.outcome) rows.push(['outcome', v.outcome.reason]);
  return table(rows);
}

function renderEndorse(r: EndorseResult): string {
  const lines = [
    r.conflict.kind === 'commitment'
      ? `Conflict: plastic commitment ${r.conflict.target}`
      : r.conflict.kind === 'anchor'
        ? `Rejected: axiomatic anchor ${r.conflict.target} (${r.conflict.reason})`
        : 'No conflict: applied as a new kernel version',
    renderView(r.view),
  ];
  if (r.state === 'pending')
    lines.push(`decide with: warden decide ${r.endorsementId} approve|stage|reject --as <principal>`);
  return lines.join('\n');
}

function renderReport(e: EndorsementReport): string {
  const s = e.samples;
  return table([
    ['endorsement', e.id],
    ['agent', e.agentId],
    ['rule', e.ruleText],
    ['conflict', `${e.conflictKind}${e.target ? ` ${e.target}` : ''}`],
    ['state', e.state],
    ['decision', e.decision ? `${e.decision} by ${e.decidedBy}` : '—'],
    [
      'samples',
      `${s.scored} scored, ${s.pending} pending, ${s.failed} failed, ${s.critical} critical (need ${e.settings.minSamples})`,
    ],
    [
      'divergence',
      s.meanDivergence === null ? '—' : `mean ${s.meanDivergence.toFixed(3)}, max ${s.maxDivergence!.toFixed(3)}`,
    ],
    ['identity drift', s.meanDrift === null ? '—' : `mean ${s.meanDrift.toFixed(3)}`],
    ['probes', e.probes ? `${e.probes.passed}/${e.probes.total} passed` : '—'],
    ['time left', e.timeLeftSeconds === null ? '—' : `${e.timeLeftSeconds} s (cap ${e.capAt})`],
    ['outcome', e.outcomeReason ?? '—'],
    ['kernel version', e.appliedVersion ?? `base ${e.baseVersion}`],
  ]);
}

const ENDORSEMENT_STATES: readonly EndorsementState[] = [
  'pending',
  'staged',
  'inconclusive',
  'applied',
  'promoted',
  'rejected',
  'aborted',
  'expired',
  'refused',
];

function endorsementState(value: string): EndorsementState {
  if (!(ENDORSEMENT_STATES as readonly string[]).includes(value))
    throw invalid(`--state: expected one of ${ENDORSEMENT_STATES.join(', ')} or open, got "${value}"`);
  return value as EndorsementState;
}

/** A kernel entry's conflict keywords, as `kernel show` lists them. */
const keywordText = (keywords: readonly string[]) =>
  keywords.length ? `  (conflict keywords: ${keywords.map((k) => `"${k}"`).join(', ')})` : '  (no conflict keywords)';

const ANSWERS: Record<string, Decision> = {
  y: 'approve',
  yes: 'approve',
  s: 'stage',
  stage: 'stage',
  n: 'reject',
  no: 'reject',
};

/** Asks on a terminal only; anywhere else the endorsement simply stays pending. */
async function askDecision(ctx: WardenContext, cmd: Command, r: EndorseResult): Promise<EndorseResult> {
  if (r.state !== 'pending' || !process.stdin.isTTY || !process.stdout.isTTY || cmd.optsWithGlobals().json) return r;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    process.stdout.write(conflictPrompt(r.rule, r.conflict.target));
    let decision: Decision | undefined;
    while (!decision) {
      const answer = (await rl.question('Decision: [y] approve, [s] stage (cooldown), [n] reject > '))
        .trim()
        .toLowerCase();
      if (answer === '') return r;
      decision = ANSWERS[answer];
    }
    const principal = optionalActor(cmd, ctx) ?? (await rl.question('Acting as (principal): ')).trim();
    const { decide } = await import('../../client/endorsement');
    const view = await decide(ctx, r.endorsementId, decision, principal);
    return { ...r, state: view.state, view };
  } finally {
    rl.close();
  }
}

export function registerEndorsementCommands(program: Command): void {
  const agent = program.command('agent').description('Agents governed by a kernel');
  withSettingsFlags(
    agent
      .command('create <agent>')
      .description('Create an agent with a bundled kernel (needs the admin role: --as <admin>)')
      .option('--kernel <name>', 'bundled kernel', 'default')
      .option('--without-probes', 'no probe battery (cooldowns carry the no-probe penalty)')
      .option(
        '--operator-role <role>',
        'the role that may decide, promote, abort or extend its endorsements (default operator)',
      )
      .option(
        '--no-log-requests',
        'keep chat text only until its shadow samples are scored, then only its SHA-256 and length',
      ),
  ).action(
    async (
      id: string,
      opts: SettingsFlags & { kernel: string; withoutProbes?: boolean; operatorRole?: string; logRequests: boolean },
      cmd: Command,
    ) => {
      const { createAgent } = await import('../../client/endorsement');
      await runCommand(
        cmd,
        (ctx) =>
          createAgent(
            ctx,
            {
              id,
              kernel: opts.kernel,
              settings: {
                ...settingsFromFlags(opts),
                ...(opts.operatorRole ? { operatorRole: opts.operatorRole } : {}),
                ...(opts.logRequests === false ? { logRequests: false } : {}),
              },
              probes: !opts.withoutProbes,
            },
            actingPrincipal(cmd, ctx),
          ),
        (r) =>
          `created agent ${r.agent.id}: kernel ${r.kernel.definition.name} v${r.kernel.version}, cooldown base ${r.agent.settings.cooldownBaseSeconds} s, min samples ${r.agent.settings.minSamples}`,
      );
    },
  );

  agent
    .command('list')
    .description('Every agent with its kernel version and the role that steers its endorsements')
    .action(async (_opts, cmd: Command) => {
      const { agents } = await import('../../client/endorsement');
      await runCommand(
        cmd,
        (ctx) => agents(ctx),
        (list) =>
          list.length === 0
            ? 'no agents'
            : list
                .map(
                  (a) =>
                    `${a.id.padEnd(24)} kernel v${a.kernelVersion}  operator role ${a.operatorRole}${a.probes ? '' : '  (no probes)'}`,
                )
                .join('\n'),
      );
    });

  withSettingsFlags(
    program
      .command('endorse <agent> <rule>')
      .description(
        "Propose a rule for --as <principal> (the agent's operator role); a conflict with a commitment needs a decision (asked on a terminal, else pending)",
      )
      .option('--decide <decision>', 'approve, stage or reject right away')
      .option('--commitment <id>', 'the commitment the rule changes, when no keyword says so')
      .option('--value <value>', "the commitment's new value (default: the rule text)")
      .option('--rationale <text>', 'why (recorded with the decision)'),
  ).action(
    async (
      agentId: string,
      rule: string,
      opts: SettingsFlags & { decide?: string; commitment?: string; value?: string; rationale?: string },
      cmd: Command,
    ) => {
      const { endorseRule } = await import('../../client/endorsement');
      await runCommand(
        cmd,
        async (ctx) => {
          let decideNow: { decision: Decision; principal: string; rationale?: string } | undefined;
          if (opts.decide !== undefined && !isDecision(opts.decide))
            throw invalid(`--decide: expected approve, stage or reject, got "${opts.decide}"`);
          // Proposing a rule needs the agent's operator role: --as (or WARDEN_PRINCIPAL) is required.
          const requestedBy = actingPrincipal(cmd, ctx);
          if (opts.decide !== undefined)
            decideNow = {
              decision: opts.decide as Decision,
              principal: requestedBy,
              ...(opts.rationale ? { rationale: opts.rationale } : {}),
            };
          const result = await endorseRule(ctx, agentId, rule, {
            ...(opts.commitment ? { commitment: opts.commitment } : {}),
            ...(opts.value ? { value: opts.value } : {}),
            settings: settingsFromFlags(opts),
            requestedBy,
            ...(decideNow ? { decide: decideNow } : {}),
          });
          const final = decideNow ? result : await askDecision(ctx, cmd, result);
          return { value: final, exitCode: final.state === 'rejected' ? EXIT_FAILURE : 0 };
        },
        renderEndorse,
      );
    },
  );

  program
    .command('decide <endorsement> <decision>')
    .description('Decide a pending endorsement: approve, stage or reject')
    .option('--rationale <text>', 'why')
    .action(async (id: string, decision: string, opts: { rationale?: string }, cmd: Command) => {
      const { decide } = await import('../../client/endorsement');
      await runCommand(
        cmd,
        (ctx) => {
          if (!isDecision(decision)) throw invalid(`decision: expected approve, stage or reject, got "${decision}"`);
          return decide(ctx, id, decision, actingPrincipal(cmd, ctx), opts.rationale);
        },
        renderView,
      );
    });

  program
    .command('chat <agent> <message>')
    .description('Ask the agent; answered from the production kernel, shadowed to any staged change')
    .option('--wait-shadow', 'wait for the shadow score (fails when it is critical)')
    .action(async (agentId: string, message: string, opts: { waitShadow?: boolean }, cmd: Command) => {
      const { chat, CriticalSandboxDivergenceError } = await import('../../client/endorsement');
      type ChatOutput = {
        content: string;
        sandboxDivergence: number | null;
        critical?: { endorsementId: string; reason: string };
      };
      await runCommand<ChatOutput>(
        cmd,
        async (ctx) => {
          try {
            return await chat(ctx, agentId, message, { waitForShadow: Boolean(opts.waitShadow) });
          } catch (error) {
            if (!(error instanceof CriticalSandboxDivergenceError)) throw error;
            return {
              value: {
                content: error.liveResponse,
                sandboxDivergence: error.score,
                critical: { endorsementId: error.endorsementId, reason: error.reason },
              },
              exitCode: EXIT_FAILURE,
            };
          }
        },
        (r) => {
          const lines = [r.content];
          if (r.critical)
            lines.push(
              `CriticalSandboxDivergence: staged change ${r.critical.endorsementId} rejected: ${r.critical.reason}`,
            );
          else if (r.sandboxDivergence !== null) lines.push(`sandbox divergence: ${r.sandboxDivergence.toFixed(3)}`);
          return lines.join('\n');
        },
      );
    });

  const endorsement = program.command('endorsement').description('Inspect and steer endorsements');
  endorsement
    .command('show <endorsement>')
    .description('State, samples, mean/max divergence, time left')
    .action(async (id: string, _opts, cmd: Command) => {
      const { showEndorsement } = await import('../../client/endorsement');
      await runCommand(cmd, (ctx) => showEndorsement(ctx, id), renderReport);
    });
  endorsement
    .command('list')
    .description('Endorsements, newest first')
    .option(
      '--state <state>',
      `only this state: ${ENDORSEMENT_STATES.join(', ')}, or open (pending, staged, inconclusive)`,
    )
    .option('--agent <agent>', 'only endorsements of this agent')
    .option('--limit <n>', 'how many', '100')
    .action(async (opts: { state?: string; agent?: string; limit: string }, cmd: Command) => {
      const { endorsements } = await import('../../client/endorsement');
      const { OPEN_STATES } = await import('../../domain/endorsement/states');
      await runCommand(
        cmd,
        (ctx) => {
          const states =
            opts.state === undefined ? undefined : opts.state === 'open' ? OPEN_STATES : [endorsementState(opts.state)];
          return endorsements(ctx, { states, agentId: opts.agent, limit: numberFlag('limit', opts.limit) });
        },
        (list) =>
          list.length === 0
            ? 'no endorsements'
            : list
                .map(
                  (e) =>
                    `${e.id.padEnd(40)} ${e.state.padEnd(12)} ${e.agentId}  ${e.target ?? e.conflictKind}  "${e.ruleText}"`,
                )
                .join('\n'),
      );
    });
  endorsement
    .command('promote <endorsement>')
    .description("Promote a staged or inconclusive endorsement now (the agent's operator role)")
    .option('--rationale <text>', 'why (required with --override)')
    .option(
      '--override',
      'promote although the evidence rule (cooldown, samples, mean) is not met yet; recorded as an override',
    )
    .action(async (id: string, opts: { rationale?: string; override?: boolean }, cmd: Command) => {
      const { promote } = await import('../../client/endorsement');
      await runCommand(
        cmd,
        (ctx) => promote(ctx, id, actingPrincipal(cmd, ctx), opts.rationale, { override: Boolean(opts.override) }),
        renderView,
      );
    });
  endorsement
    .command('abort <endorsement>')
    .description("Drop a staged or inconclusive endorsement (the agent's operator role)")
    .option('--rationale <text>', 'why')
    .action(async (id: string, opts: { rationale?: string }, cmd: Command) => {
      const { abort } = await import('../../client/endorsement');
      await runCommand(cmd, (ctx) => abort(ctx, id, actingPrincipal(cmd, ctx), opts.rationale), renderView);
    });
  endorsement
    .command('extend <endorsement>')
    .description('Extend the cooldown (default: by the base cooldown)')
    .option('--seconds <n>', 'how much longer')
    .action(async (id: string, opts: { seconds?: string }, cmd: Command) => {
      const { extend } = await import('../../client/endorsement');
      await runCommand(
        cmd,
        (ctx) => extend(ctx, id, actingPrincipal(cmd, ctx), numberFlag('seconds', opts.seconds)),
        renderView,
      );
    });

  program
    .command('kernel')
    .description('Agent kernels')
    .command('show <agent>')
    .description('Current kernel version and commitments')
    .action(async (agentId: string, _opts, cmd: Command) => {
      const { showKernel } = await import('../../client/endorsement');
      await runCommand(
        cmd,
        (ctx) => showKernel(ctx, agentId),
        (k) =>
          [
            `${k.agentId}: kernel ${k.kernel.name} v${k.version}${k.changedBy ? ` (by ${k.changedBy})` : ''}`,
            'anchors:',
            ...k.kernel.anchors.map((a) => `  ${a.id}${keywordText(a.keywords)}`),
            'commitments:',
            ...k.kernel.commitments.map((c) => `  ${c.id} = ${c.value}${keywordText(c.keywords)}`),
            'A rule containing a keyword conflicts with that anchor (rejected) or commitment (needs a decision);',
            '`endorse --commitment <id>` names the commitment a rule changes when no keyword says so.',
            ...(k.kernel.rules.length ? ['rules:', ...k.kernel.rules.map((r) => `  ${r}`)] : []),
            ...(k.openEndorsements.length
              ? ['open endorsements:', ...k.openEndorsements.map((e) => `  ${e.id} (${e.target}, ${e.state})`)]
              : []),
          ].join('\n'),
      );
    });
}
