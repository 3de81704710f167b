import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { EndorsementActivities } from '../../activities/endorsement';
import {
  EMPTY_EVIDENCE,
  evaluateCooldown,
  initialCooldownSeconds,
  meanDivergence,
  promotionShortfall,
} from '../../domain/endorsement/cooldown';
import { criticalProbeFailure } from '../../domain/endorsement/probe-outcome';
import type { EndorsementSettings } from '../../domain/endorsement/settings';
import { DECISIONS, refusalReason, WATCHING_STATES, type EndorsementState } from '../../domain/endorsement/states';
import { deadlineTooFar, timerSecondsIssue } from '../../domain/input/timer-limits';
import { WardenState } from '../../domain/search-attributes';
import { failure } from '../../domain/temporal/failure-types';
import { notify } from '../notify';
import type {
  DecideInput,
  EndorsementView,
  EndorsementWorkflowInput,
  ExtendInput,
  OperatorInput,
  RegistrationView,
} from './messages';
import { waitsWithoutPolling } from './cooldown-wait';
import type { endorsementWorkflow } from './endorsement';
import { promotionChecksEvidence } from './promotion-rule';

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

export type OperatorCommandKind = 'promote' | 'abort' | 'extend';

type Command =
  | { kind: 'promote'; input: OperatorInput }
  | { kind: 'abort'; input: OperatorInput }
  | { kind: 'extend'; input: ExtendInput };

type Outcome = 'promoted' | 'rejected' | 'aborted';

function requirePrincipal(input: OperatorInput | undefined): void {
  if (!input || typeof input.principal !== 'string' || input.principal.trim() === '') {
    throw failure('invalid', 'principal: required (pass --as <principal>)');
  }
}

/**
 * One endorsement's state and every transition of it: the handlers of its Updates, signal and
 * query are methods, and `run` is the workflow's main line (registration, the decision window, the
 * probe battery, the cooldown). Commands, timers and activities are issued in the same order as the
 * workflow issued them before it was a class: histories in flight replay unchanged.
 */
export class EndorsementMachine {
  readonly view: EndorsementView;
  private readonly tuning: { batchSize: number; pollSeconds: number; maxHistoryEvents: number };
  private settings: EndorsementSettings | undefined;
  private deciding = false;
  private hasProbes = true;
  private wake: boolean;
  private command: Command | undefined;
  private commandError: Error | undefined;
  private commandDone = false;

  constructor(private readonly input: EndorsementWorkflowInput) {
    this.tuning = { batchSize: 25, pollSeconds: 30, maxHistoryEvents: 5000, ...input.tuning };
    this.view = input.resume?.view ?? {
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
    this.settings = input.resume?.settings;
    this.wake = input.resume !== undefined;
  }

  // ---- handlers ----------------------------------------------------------------------------

  /** Signal: samples are waiting in PostgreSQL. */
  samplesPending(): void {
    this.wake = true;
  }

  async registration(): Promise<RegistrationView> {
    await condition(() => this.view.registration !== null);
    return this.view.registration!;
  }

  async registered(): Promise<EndorsementView> {
    await condition(() => this.view.registration !== null);
    return this.view;
  }

  validateDecision(arg: DecideInput): void {
    requirePrincipal(arg);
    if (!DECISIONS.includes(arg.decision)) throw failure('invalid', 'decision: must be approve, stage or reject');
    if (this.view.state === 'registering')
      throw failure('conflict', 'endorsement is still being registered; try again');
    if (this.view.state !== 'pending')
      throw failure('conflict', refusalReason(this.view.endorsementId, this.view.state, 'decide'));
    if (this.deciding) throw failure('conflict', 'a decision is already being recorded');
  }

  async decide({ decision, principal, rationale }: DecideInput): Promise<EndorsementView> {
    this.deciding = true;
    try {
      if (decision === 'stage') await this.stage(principal, rationale);
      else await this.conclude(decision, principal, rationale);
      return this.view;
    } finally {
      this.deciding = false;
    }
  }

  validateOperatorCommand(kind: OperatorCommandKind, arg: OperatorInput | ExtendInput): void {
    requirePrincipal(arg);
    if (arg.override && kind !== 'promote')
      throw failure('invalid', 'override: only a promotion can override the evidence rule');
    if (arg.override && !arg.rationale?.trim()) throw failure('invalid', 'rationale: required with override');
    if (!WATCHING_STATES.includes(this.view.state))
      throw failure('conflict', refusalReason(this.view.endorsementId, this.view.state, kind));
    if (this.command) throw failure('conflict', `another operator command (${this.command.kind}) is being processed`);
    if (kind === 'extend') {
      // Refused here, before the command is queued: a deadline no timer or timestamp can hold
      // would fail the extension and, before, wedged the endorsement behind it.
      const seconds = (arg as ExtendInput).seconds;
      // extendSecondsSchema's words without zod, which a run must not load (the unit test holds them alike).
      const issue = seconds === undefined ? null : timerSecondsIssue(seconds);
      if (issue) throw failure('invalid', `seconds: ${issue}`);
      const nowMs = Date.now();
      const tooFar = deadlineTooFar(
        Math.max(this.view.deadlineMs ?? nowMs, nowMs) + (seconds ?? this.settings?.cooldownBaseSeconds ?? 0) * 1000,
        nowMs,
      );
      if (tooFar) throw failure('invalid', `seconds: ${tooFar}`);
    }
  }

  /** Queues the command for the watch loop (which owns every transition while staged) and waits for it. */
  async operatorCommand(kind: OperatorCommandKind, arg: OperatorInput | ExtendInput): Promise<EndorsementView> {
    this.command = { kind, input: arg } as Command;
    this.commandDone = false;
    this.commandError = undefined;
    await condition(() => this.commandDone);
    if (this.commandError) throw this.commandError;
    return this.view;
  }

  // ---- main line ---------------------------------------------------------------------------

  async run(): Promise<void> {
    if (!this.input.resume) await this.register();
    else this.setState(this.view.state);
    if (this.view.state === 'staged' && this.view.probes === undefined) await this.probe();
    if (WATCHING_STATES.includes(this.view.state)) await this.watchCooldown();
  }

  private async register(): Promise<void> {
    const { input, view } = this;
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
    this.settings = merged;
    this.hasProbes = hasProbeBattery;
    view.registration = registration;
    if (reg.outcome !== 'pending') {
      view.outcome = { reason: reg.reason, score: null, appliedVersion: reg.appliedVersion };
      this.setState(reg.outcome === 'duplicate' || reg.outcome === 'no_conflict' ? 'refused' : reg.outcome);
      if (reg.outcome === 'rejected')
        await notify('endorsement.rejected', view.endorsementId, {
          agentId: view.agentId,
          conflictKind: reg.conflictKind,
        });
    } else {
      this.setState('pending');
      await this.awaitDecision(merged);
    }
  }

  /** The decision window: expires the endorsement unless decided within the decision timeout. */
  private async awaitDecision(settings: EndorsementSettings): Promise<void> {
    const view = this.view;
    const decided = await condition(() => view.state !== 'pending', settings.decisionTimeoutSeconds * 1000);
    if (decided) return;
    // A decision being recorded right now wins over the timer.
    await condition(() => !this.deciding);
    if (view.state !== 'pending') return;
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
    this.setState('expired');
  }

  private async stage(principal: string, rationale: string | undefined): Promise<void> {
    const s = this.settings!;
    const view = this.view;
    const nowMs = Date.now();
    const stage = {
      stagedAtMs: nowMs,
      deadlineMs: nowMs + initialCooldownSeconds(s, this.hasProbes) * 1000,
      capMs: nowMs + s.cooldownMaxSeconds * 1000,
    };
    await act.transitionEndorsement({
      endorsementId: view.endorsementId,
      from: ['pending'],
      to: 'staged',
      actor: principal,
      provenanceKind: 'endorsement.staged',
      decision: 'stage',
      stage,
      payload: {
        decision: 'stage',
        rationaleGiven: Boolean(rationale),
        deadline: new Date(stage.deadlineMs).toISOString(),
        cap: new Date(stage.capMs).toISOString(),
        noProbePenalty: !this.hasProbes,
      },
    });
    Object.assign(view, stage);
    view.decision = { decision: 'stage', principal };
    this.wake = true;
    this.setState('staged');
    await notify('endorsement.staged', view.endorsementId, {
      agentId: view.agentId,
      by: principal,
      deadline: new Date(stage.deadlineMs).toISOString(),
    });
  }

  /** An approval applies the change at once, a rejection drops it. */
  private async conclude(
    decision: 'approve' | 'reject',
    principal: string,
    rationale: string | undefined,
  ): Promise<void> {
    const view = this.view;
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
    this.setState(to);
    if (to === 'rejected')
      await notify('endorsement.rejected', view.endorsementId, { agentId: view.agentId, by: principal });
  }

  /**
   * Probes answer at once what shadow traffic takes a cooldown to show; a failed critical probe
   * (an anchor giving way) rejects the change like a critical sample.
   */
  private async probe(): Promise<void> {
    this.view.probes = await act.runProbeBattery({ endorsementId: this.view.endorsementId });
    const broken = this.view.probes ? criticalProbeFailure(this.view.probes) : undefined;
    if (broken)
      await this.finish(
        'rejected',
        null,
        `critical probe ${broken.id} (${broken.category}) failed in the sandbox`,
        null,
        { probe: broken.id },
      );
  }

  private async watchCooldown(): Promise<void> {
    try {
      await this.watchLoop();
    } finally {
      // An operator command that arrived as the endorsement closed must not hang its caller.
      if (this.command) {
        this.commandError = failure(
          'conflict',
          `endorsement ${this.view.endorsementId} is ${this.view.state}: ${this.view.outcome?.reason ?? ''}`,
        );
        this.command = undefined;
        this.commandDone = true;
      }
    }
  }

  /**
   * While staged or inconclusive: operator commands first, then samples (on a wake-up, and all of
   * them at the deadline), continue-as-new when the history grows long, and the cooldown's verdict
   * once the deadline has passed with every sample scored. Between those it sleeps on the one
   * timer the deadline needs (none while inconclusive): an idle cooldown adds no events. Runs
   * from before WAIT_WITHOUT_POLLING also pulled at every poll interval.
   */
  private async watchLoop(): Promise<void> {
    const view = this.view;
    const polls = !waitsWithoutPolling();
    let nextPollMs = Date.now();
    while (WATCHING_STATES.includes(view.state)) {
      if (this.command) {
        await this.runQueuedCommand(this.command);
        continue;
      }
      const deadlinePassed = view.state === 'staged' && Date.now() >= view.deadlineMs!;
      // At the deadline every queued sample is scored first, so the verdict sees all the evidence.
      let drained = false;
      if (this.wake || deadlinePassed || (polls && Date.now() >= nextPollMs)) {
        const pulled = await this.pullSamples();
        if (pulled === 'critical') return;
        drained = pulled === 'drained';
        nextPollMs = Date.now() + this.tuning.pollSeconds * 1000;
      }
      // Checked after every pull, so a sustained stream of samples cannot grow one run's history.
      if (this.historyIsLong()) {
        await condition(() => allHandlersFinished() || this.command !== undefined);
        if (this.command) continue;
        await this.continueAsNew();
      }
      if (deadlinePassed && drained) {
        await this.judgeCooldown();
        continue;
      }
      if (deadlinePassed || this.wake) continue;
      const woken = () => this.wake || this.command !== undefined;
      if (!polls) {
        // A wake-up lost on its way from the chat path is covered at the deadline, which scores
        // every queued sample, and before any operator command, which does too.
        if (view.state === 'staged') await condition(woken, Math.max(1, view.deadlineMs! - Date.now()));
        else await condition(woken);
        continue;
      }
      const until = view.state === 'staged' ? Math.min(nextPollMs, view.deadlineMs!) : nextPollMs;
      await condition(woken, Math.max(1, until - Date.now()));
    }
  }

  /** Scores what is queued first (a critical sample rejects the change before the command runs). */
  private async runQueuedCommand(c: Command): Promise<void> {
    try {
      if ((await this.pullSamples()) !== 'critical') await this.runCommand(c);
      else
        this.commandError = failure(
          'conflict',
          `endorsement ${this.view.endorsementId} was rejected first: ${this.view.outcome?.reason}`,
        );
    } catch (error) {
      this.commandError = error as Error;
    }
    this.command = undefined;
    this.commandDone = true;
  }

  private async continueAsNew(): Promise<never> {
    this.view.run += 1;
    return continueAsNew<typeof endorsementWorkflow>({
      ...this.input,
      resume: { view: this.view, settings: this.settings! },
    });
  }

  /**
   * Pulls and scores queued samples in batches: 'critical' when a sample rejected the change,
   * 'drained' when nothing is left, 'paused' when samples remain but the history has grown long
   * enough that this run should continue as new first.
   */
  private async pullSamples(): Promise<'critical' | 'drained' | 'paused'> {
    const view = this.view;
    for (;;) {
      this.wake = false;
      const batch = await scoring.scoreShadowBatch({ endorsementId: view.endorsementId, limit: this.tuning.batchSize });
      view.evidence = batch.evidence;
      setCurrentDetails(this.describe());
      if (batch.critical) {
        await this.finish(
          'rejected',
          null,
          `critical shadow divergence: ${batch.critical.reason}`,
          batch.critical.divergence,
          {
            exchangeId: batch.critical.exchangeId,
          },
        );
        return 'critical';
      }
      if (!batch.more) return 'drained';
      if (this.historyIsLong()) {
        this.wake = true;
        return 'paused';
      }
    }
  }

  private async runCommand(c: Command): Promise<void> {
    const who = c.input.principal;
    if (c.kind === 'promote') await this.promote(c.input);
    else if (c.kind === 'abort') await this.finish('aborted', who, `aborted by ${who}`, null);
    else {
      const view = this.view;
      const nowMs = Date.now();
      const seconds = c.input.seconds ?? this.settings!.cooldownBaseSeconds;
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
      this.setState('staged');
    }
  }

  /** A manual promotion: at once when the evidence rule is met, else only as a recorded override with a rationale. */
  private async promote(input: OperatorInput): Promise<void> {
    const view = this.view;
    const who = input.principal;
    const shortfall = promotionChecksEvidence()
      ? promotionShortfall(this.settings!, {
          deadlineMs: view.state === 'staged' ? view.deadlineMs : null,
          nowMs: Date.now(),
          evidence: view.evidence,
        })
      : null;
    if (shortfall !== null && !input.override) {
      throw failure(
        'conflict',
        `the evidence rule is not met (${shortfall}): promoting now needs an override and a rationale (--override --rationale "…")`,
      );
    }
    if (shortfall !== null && !input.rationale?.trim()) throw failure('invalid', 'rationale: required with override');
    const override = shortfall !== null ? { override: true, shortfall, rationale: input.rationale } : {};
    await this.finish(
      'promoted',
      who,
      `promoted by ${who}${shortfall !== null ? ` overriding the evidence rule (${shortfall})` : ''}`,
      meanDivergence(view.evidence),
      {
        manual: true,
        ...override,
      },
    );
  }

  /** The deadline has passed with every sample scored: promote, reject, extend, or call it inconclusive. */
  private async judgeCooldown(): Promise<void> {
    const view = this.view;
    const s = this.settings!;
    const verdict = evaluateCooldown(s, {
      stagedAtMs: view.stagedAtMs!,
      capMs: view.capMs!,
      nowMs: Date.now(),
      evidence: view.evidence,
    });
    if (verdict.kind === 'promote') {
      await this.finish(
        'promoted',
        null,
        `cooldown passed with ${view.evidence.count} samples, mean ${verdict.mean.toFixed(3)} below l2`,
        verdict.mean,
      );
    } else if (verdict.kind === 'reject') {
      await this.finish('rejected', null, verdict.reason, meanDivergence(view.evidence));
    } else if (verdict.kind === 'extend') {
      await act.extendEndorsementCooldown({
        endorsementId: view.endorsementId,
        deadlineMs: verdict.deadlineMs,
        capMs: view.capMs!,
        actor: null,
        reason: verdict.reason,
      });
      view.deadlineMs = verdict.deadlineMs;
      setCurrentDetails(this.describe());
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
      this.setState('inconclusive');
      await notify('endorsement.inconclusive', view.endorsementId, {
        agentId: view.agentId,
        samples: view.evidence.count,
        minSamples: s.minSamples,
      });
    }
  }

  private async finish(
    to: Outcome,
    actor: string | null,
    reason: string,
    score: number | null,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const view = this.view;
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
    this.setState(to);
    if (to !== 'aborted')
      await notify(`endorsement.${to}`, view.endorsementId, {
        agentId: view.agentId,
        by: actor,
        samples: view.evidence.count,
        score,
      });
  }

  // ---- presentation ------------------------------------------------------------------------

  private historyIsLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= this.tuning.maxHistoryEvents;
  }

  private setState(state: EndorsementState): void {
    this.view.state = state;
    upsertSearchAttributes([{ key: WardenState, value: state }]);
    setCurrentDetails(this.describe());
  }

  /** The Temporal UI's current details: where the endorsement stands, in one line. */
  private describe(): string {
    const view = this.view;
    const e = view.evidence;
    const mean = meanDivergence(e);
    const parts = [`${view.agentId}: ${view.registration?.target ?? 'rule'} → ${view.state}`];
    if (WATCHING_STATES.includes(view.state)) {
      parts.push(
        `${e.count}/${this.settings?.minSamples ?? '?'} samples, mean ${mean === null ? '–' : mean.toFixed(3)}, max ${e.max.toFixed(3)}`,
      );
      if (view.deadlineMs !== null) parts.push(`cooldown until ${new Date(view.deadlineMs).toISOString()}`);
    }
    if (view.outcome) parts.push(view.outcome.reason);
    return parts.join('; ');
  }
}
