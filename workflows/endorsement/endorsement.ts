import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { EndorsementActivities } from '../../activities/endorsement';
import { EMPTY_EVIDENCE, evaluateCooldown, initialCooldownSeconds, meanDivergence, promotionShortfall } from '../../domain/endorsement/cooldown';
import { extendSecondsSchema } from '../../domain/endorsement/endorsement-request';
import { deadlineTooFar } from '../../domain/input/timer-duration';
import { criticalProbeFailure } from '../../domain/endorsement/probe-outcome';
import type { EndorsementSettings } from '../../domain/endorsement/settings';
import { DECISIONS, refusalReason, WATCHING_STATES, type EndorsementState } from '../../domain/endorsement/states';
import { WardenState } from '../../domain/search-attributes';
import { notify } from '../notify';
import { promotionChecksEvidence } from './promotion-rule';
import {
  abortUpdate,
  decideUpdate,
  endorsementStateQuery,
  extendUpdate,
  promoteUpdate,
  registrationUpdate,
  shadowSamplesPendingSignal,
  type EndorsementView,
  type EndorsementWorkflowInput,
  type ExtendInput,
  type OperatorInput,
} from './definitions';

const act = proxyActivities<EndorsementActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});
// Heartbeats every few seconds (see the activity), so a batch lost with its worker is retried
// within seconds instead of waiting out the whole start-to-close timeout.
const scoring = proxyActivities<EndorsementActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

type Command =
  | { kind: 'promote'; input: OperatorInput }
  | { kind: 'abort'; input: OperatorInput }
  | { kind: 'extend'; input: ExtendInput };

function requirePrincipal(input: OperatorInput | undefined): void {
  if (!input || typeof input.principal !== 'string' || input.principal.trim() === '') {
    throw new Error('principal: required (pass --as <principal>)');
  }
}

/**
 * One endorsement from conflict to outcome: registration (conflict detection), the operator's
 * decision (expiring after the decision timeout), and, when staged, the cooldown on a durable
 * timer, fed by shadow samples the live chat path queues in PostgreSQL. Texts never enter the
 * history: activities read them by id.
 */
export async function endorsementWorkflow(input: EndorsementWorkflowInput): Promise<EndorsementView> {
  const tuning = { batchSize: 25, pollSeconds: 30, maxHistoryEvents: 5000, ...input.tuning };
  const view: EndorsementView = input.resume?.view ?? {
    endorsementId: input.endorsementId,
    agentId: input.agentId,
    state: 'registering',
    registration: null,
    decision: null,
    stagedAtMs: null,
    deadlineMs: null,
    capMs: null,
    evidence: EMPTY_EVIDENCE,
    outcome: null,
    run: 1,
  };
  let settings: EndorsementSettings | undefined = input.resume?.settings;
  let deciding = false;
  let hasProbes = true;
  let wake = input.resume !== undefined;
  let command: Command | undefined;
  let commandError: Error | undefined;
  let commandDone = false;

  const describe = () => {
    const e = view.evidence;
    const mean = meanDivergence(e);
    const parts = [`${view.agentId}: ${view.registration?.target ?? 'rule'} → ${view.state}`];
    if (WATCHING_STATES.includes(view.state)) {
      parts.push(`${e.count}/${settings?.minSamples ?? '?'} samples, mean ${mean === null ? '–' : mean.toFixed(3)}, max ${e.max.toFixed(3)}`);
      if (view.deadlineMs !== null) parts.push(`cooldown until ${new Date(view.deadlineMs).toISOString()}`);
    }
    if (view.outcome) parts.push(view.outcome.reason);
    return parts.join('; ');
  };
  const setState = (state: EndorsementState) => {
    view.state = state;
    upsertSearchAttributes([{ key: WardenState, value: state }]);
    setCurrentDetails(describe());
  };

  setHandler(endorsementStateQuery, () => view);
  setHandler(shadowSamplesPendingSignal, () => {
    wake = true;
  });
  setHandler(registrationUpdate, async () => {
    await condition(() => view.registration !== null);
    return view.registration!;
  });

  setHandler(
    decideUpdate,
    async ({ decision, principal, rationale }) => {
      deciding = true;
      try {
        const s = settings!;
        if (decision === 'stage') {
          const nowMs = Date.now();
          const stage = {
            stagedAtMs: nowMs,
            deadlineMs: nowMs + initialCooldownSeconds(s, hasProbes) * 1000,
            capMs: nowMs + s.cooldownMaxSeconds * 1000,
          };
          await act.transitionEndorsement({
            endorsementId: view.endorsementId,
            from: ['pending'],
            to: 'staged',
            actor: principal,
            provenanceKind: 'endorsement.staged',
            decision,
            stage,
            payload: {
              decision,
              rationaleGiven: Boolean(rationale),
              deadline: new Date(stage.deadlineMs).toISOString(),
              cap: new Date(stage.capMs).toISOString(),
              noProbePenalty: !hasProbes,
            },
          });
          Object.assign(view, stage);
          view.decision = { decision, principal };
          wake = true;
          setState('staged');
          await notify('endorsement.staged', view.endorsementId, { agentId: view.agentId, by: principal, deadline: new Date(stage.deadlineMs).toISOString() });
        } else {
          const to = decision === 'approve' ? 'applied' : 'rejected';
          const reason = decision === 'approve' ? `approved by ${principal}` : `rejected by ${principal}`;
          const r = await act.transitionEndorsement({
            endorsementId: view.endorsementId,
            from: ['pending'],
            to,
            actor: principal,
            provenanceKind: 'endorsement.decided',
            decision,
            apply: decision === 'approve',
            outcome: { reason },
            payload: { decision, rationaleGiven: Boolean(rationale) },
          });
          view.decision = { decision, principal };
          view.outcome = { reason, score: null, appliedVersion: r.appliedVersion };
          setState(to);
          if (to === 'rejected') await notify('endorsement.rejected', view.endorsementId, { agentId: view.agentId, by: principal });
        }
        return view;
      } finally {
        deciding = false;
      }
    },
    {
      validator: (arg) => {
        requirePrincipal(arg);
        if (!DECISIONS.includes(arg.decision)) throw new Error('decision: must be approve, stage or reject');
        if (view.state === 'registering') throw new Error('endorsement is still being registered; try again');
        if (view.state !== 'pending') throw new Error(refusalReason(view.endorsementId, view.state, 'decide'));
        if (deciding) throw new Error('a decision is already being recorded');
      },
    },
  );

  const operatorCommand = (kind: Command['kind']) => async (arg: OperatorInput | ExtendInput) => {
    command = { kind, input: arg } as Command;
    commandDone = false;
    commandError = undefined;
    await condition(() => commandDone);
    if (commandError) throw commandError;
    return view;
  };
  const operatorValidator = (kind: Command['kind']) => (arg: OperatorInput | ExtendInput) => {
    requirePrincipal(arg);
    if (arg.override && kind !== 'promote') throw new Error('override: only a promotion can override the evidence rule');
    if (arg.override && !arg.rationale?.trim()) throw new Error('rationale: required with override');
    if (!WATCHING_STATES.includes(view.state)) throw new Error(refusalReason(view.endorsementId, view.state, kind));
    if (command) throw new Error(`another operator command (${command.kind}) is being processed`);
    if (kind === 'extend') {
      // Refused here, before the command is queued: a deadline no timer or timestamp can hold
      // would fail the extension and, before, wedged the endorsement behind it.
      const seconds = (arg as ExtendInput).seconds;
      const parsed = extendSecondsSchema.optional().safeParse(seconds);
      if (!parsed.success) throw new Error(`seconds: ${parsed.error.issues[0]?.message ?? 'must be a positive whole number'}`);
      const nowMs = Date.now();
      const tooFar = deadlineTooFar(Math.max(view.deadlineMs ?? nowMs, nowMs) + (seconds ?? settings?.cooldownBaseSeconds ?? 0) * 1000, nowMs);
      if (tooFar) throw new Error(`seconds: ${tooFar}`);
    }
  };
  setHandler(promoteUpdate, operatorCommand('promote'), { validator: operatorValidator('promote') });
  setHandler(abortUpdate, operatorCommand('abort'), { validator: operatorValidator('abort') });
  setHandler(extendUpdate, operatorCommand('extend'), { validator: operatorValidator('extend') });

  if (!input.resume) {
    const reg = await act.registerEndorsement({
      endorsementId: input.endorsementId,
      agentId: input.agentId,
      ruleText: input.ruleText,
      commitment: input.commitment,
      value: input.value,
      settings: input.settings,
      requestedBy: input.requestedBy ?? null,
      ...(input.requireConflict ? { requireConflict: true } : {}),
    });
    const { settings: merged, hasProbeBattery, baseVersion: _base, ...registration } = reg;
    settings = merged;
    hasProbes = hasProbeBattery;
    view.registration = registration;
    if (reg.outcome !== 'pending') {
      view.outcome = { reason: reg.reason, score: null, appliedVersion: reg.appliedVersion };
      setState(reg.outcome === 'duplicate' || reg.outcome === 'no_conflict' ? 'refused' : reg.outcome);
      if (reg.outcome === 'rejected') await notify('endorsement.rejected', view.endorsementId, { agentId: view.agentId, conflictKind: reg.conflictKind });
    } else {
      setState('pending');
      const decided = await condition(() => view.state !== 'pending', settings.decisionTimeoutSeconds * 1000);
      if (!decided) {
        // A decision being recorded right now wins over the timer.
        await condition(() => !deciding);
        if (view.state === 'pending') {
          const reason = `no decision within ${settings.decisionTimeoutSeconds} s`;
          await act.transitionEndorsement({
            endorsementId: view.endorsementId,
            from: ['pending'],
            to: 'expired',
            actor: null,
            provenanceKind: 'endorsement.expired',
            outcome: { reason },
            payload: { timeoutSeconds: settings.decisionTimeoutSeconds },
          });
          view.outcome = { reason, score: null, appliedVersion: null };
          setState('expired');
        }
      }
    }
  } else {
    setState(view.state);
  }

  if (view.state === 'staged' && view.probes === undefined) {
    // Probes answer at once what shadow traffic takes a cooldown to show; a failed critical
    // probe (an anchor giving way) rejects the change like a critical sample.
    view.probes = await act.runProbeBattery({ endorsementId: view.endorsementId });
    const broken = view.probes ? criticalProbeFailure(view.probes) : undefined;
    if (broken) await finish('rejected', null, `critical probe ${broken.id} (${broken.category}) failed in the sandbox`, null, { probe: broken.id });
  }
  if (WATCHING_STATES.includes(view.state)) await watchCooldown();

  await condition(allHandlersFinished);
  return view;

  async function finish(to: 'promoted' | 'rejected' | 'aborted', actor: string | null, reason: string, score: number | null, extra: Record<string, unknown> = {}) {
    const r = await act.transitionEndorsement({
      endorsementId: view.endorsementId,
      from: ['staged', 'inconclusive'],
      to,
      actor,
      provenanceKind: `endorsement.${to}`,
      apply: to === 'promoted',
      outcome: { reason, score },
      payload: { samples: view.evidence.count, mean: meanDivergence(view.evidence), max: view.evidence.max, ...extra },
    });
    view.outcome = { reason, score, appliedVersion: r.appliedVersion };
    setState(to);
    if (to !== 'aborted') await notify(`endorsement.${to}`, view.endorsementId, { agentId: view.agentId, by: actor, samples: view.evidence.count, score });
  }

  function historyIsLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= tuning.maxHistoryEvents;
  }

  /**
   * Pulls and scores queued samples in batches: 'critical' when a sample rejected the change,
   * 'drained' when nothing is left, 'paused' when samples remain but the history has grown long
   * enough that this run should continue as new first.
   */
  async function pullSamples(): Promise<'critical' | 'drained' | 'paused'> {
    for (;;) {
      wake = false;
      const batch = await scoring.scoreShadowBatch({ endorsementId: view.endorsementId, limit: tuning.batchSize });
      view.evidence = batch.evidence;
      setCurrentDetails(describe());
      if (batch.critical) {
        await finish('rejected', null, `critical shadow divergence: ${batch.critical.reason}`, batch.critical.divergence, {
          exchangeId: batch.critical.exchangeId,
        });
        return 'critical';
      }
      if (!batch.more) return 'drained';
      if (historyIsLong()) {
        wake = true;
        return 'paused';
      }
    }
  }

  async function runCommand(c: Command): Promise<void> {
    const s = settings!;
    const who = c.input.principal;
    if (c.kind === 'promote') {
      const shortfall = promotionChecksEvidence()
        ? promotionShortfall(s, { deadlineMs: view.state === 'staged' ? view.deadlineMs : null, nowMs: Date.now(), evidence: view.evidence })
        : null;
      if (shortfall !== null && !c.input.override) {
        throw ApplicationFailure.nonRetryable(
          `the evidence rule is not met (${shortfall}): promoting now needs an override and a rationale (--override --rationale "…")`, 'EvidenceRuleNotMet',
        );
      }
      if (shortfall !== null && !c.input.rationale?.trim()) throw ApplicationFailure.nonRetryable('rationale: required with override', 'EvidenceRuleNotMet');
      const override = shortfall !== null ? { override: true, shortfall, rationale: c.input.rationale } : {};
      await finish('promoted', who, `promoted by ${who}${shortfall !== null ? ` overriding the evidence rule (${shortfall})` : ''}`, meanDivergence(view.evidence), {
        manual: true, ...override,
      });
    } else if (c.kind === 'abort') {
      await finish('aborted', who, `aborted by ${who}`, null);
    } else {
      const nowMs = Date.now();
      const seconds = c.input.seconds ?? s.cooldownBaseSeconds;
      const deadlineMs = Math.max(view.deadlineMs ?? nowMs, nowMs) + seconds * 1000;
      const capMs = Math.max(view.capMs ?? deadlineMs, deadlineMs);
      await act.extendEndorsementCooldown({
        endorsementId: view.endorsementId,
        deadlineMs,
        capMs,
        actor: who,
        reason: `extended by ${who} for ${seconds} s`,
      });
      view.deadlineMs = deadlineMs;
      view.capMs = capMs;
      setState('staged');
    }
  }

  async function watchCooldown(): Promise<void> {
    try {
      await watchLoop();
    } finally {
      // An operator command that arrived as the endorsement closed must not hang its caller.
      if (command) {
        commandError = ApplicationFailure.nonRetryable(`endorsement ${view.endorsementId} is ${view.state}: ${view.outcome?.reason ?? ''}`);
        command = undefined;
        commandDone = true;
      }
    }
  }

  async function watchLoop(): Promise<void> {
    const s = settings!;
    let nextPollMs = Date.now();
    while (WATCHING_STATES.includes(view.state)) {
      if (command) {
        const c = command;
        try {
          if ((await pullSamples()) !== 'critical') await runCommand(c);
          else commandError = ApplicationFailure.nonRetryable(`endorsement ${view.endorsementId} was rejected first: ${view.outcome?.reason}`);
        } catch (error) {
          commandError = error as Error;
        }
        command = undefined;
        commandDone = true;
        continue;
      }
      const deadlinePassed = view.state === 'staged' && Date.now() >= view.deadlineMs!;
      // At the deadline every queued sample is scored first, so the verdict sees all the evidence.
      let drained = false;
      if (wake || deadlinePassed || Date.now() >= nextPollMs) {
        const pulled = await pullSamples();
        if (pulled === 'critical') return;
        drained = pulled === 'drained';
        nextPollMs = Date.now() + tuning.pollSeconds * 1000;
      }
      // Checked after every pull, so a sustained stream of samples cannot grow one run's history.
      if (historyIsLong()) {
        await condition(() => allHandlersFinished() || command !== undefined);
        if (command) continue;
        view.run += 1;
        await continueAsNew<typeof endorsementWorkflow>({ ...input, resume: { view, settings: s } });
      }
      if (deadlinePassed && drained) {
        const verdict = evaluateCooldown(s, {
          stagedAtMs: view.stagedAtMs!,
          capMs: view.capMs!,
          nowMs: Date.now(),
          evidence: view.evidence,
        });
        if (verdict.kind === 'promote') {
          await finish('promoted', null, `cooldown passed with ${view.evidence.count} samples, mean ${verdict.mean.toFixed(3)} below l2`, verdict.mean);
        } else if (verdict.kind === 'reject') {
          await finish('rejected', null, verdict.reason, meanDivergence(view.evidence));
        } else if (verdict.kind === 'extend') {
          await act.extendEndorsementCooldown({
            endorsementId: view.endorsementId,
            deadlineMs: verdict.deadlineMs,
            capMs: view.capMs!,
            actor: null,
            reason: verdict.reason,
          });
          view.deadlineMs = verdict.deadlineMs;
          setCurrentDetails(describe());
        } else {
          await act.transitionEndorsement({
            endorsementId: view.endorsementId,
            from: ['staged'],
            to: 'inconclusive',
            actor: null,
            provenanceKind: 'endorsement.inconclusive',
            outcome: { reason: verdict.reason },
            payload: { samples: view.evidence.count, minSamples: s.minSamples },
          });
          view.outcome = { reason: verdict.reason, score: meanDivergence(view.evidence), appliedVersion: null };
          setState('inconclusive');
          await notify('endorsement.inconclusive', view.endorsementId, { agentId: view.agentId, samples: view.evidence.count, minSamples: s.minSamples });
        }
        continue;
      }
      if (deadlinePassed || wake) continue;
      const until = view.state === 'staged' ? Math.min(nextPollMs, view.deadlineMs!) : nextPollMs;
      await condition(() => wake || command !== undefined, Math.max(1, until - Date.now()));
    }
  }
}
