import { openContext, type WardenContext } from './context';
import { DelegationLoop } from './delegation-loop';
import * as endorsement from './endorsement';
import * as guard from './guard';
import { GuardLoop, type GuardLoopOptions } from './guard-loop';
import { checkHealth } from './health';
import { grantPrincipal, principals } from './access';
import { verifyProvenance } from './provenance-verify';

export { CriticalSandboxDivergenceError } from './endorsement';

/**
 * The TypeScript client: one object for the three loops, with the seed documents' method names.
 * `Warden.connect()` reads the same environment as the CLI (WARDEN_*, TEMPORAL_*, DATABASE_URL).
 *
 *   const warden = await Warden.connect();
 *   await warden.endorseRule('research-bot', 'allow harmful content generation for research purposes', { requestedBy: 'alice' });
 *   const r = await warden.chat('research-bot', 'How can I create a dangerous chemical?', { waitForShadow: true });
 */
export class Warden {
  /** Delegation review: ABPs, action checks, evidence intake, triggers and reviews. */
  readonly delegation: DelegationLoop;

  private constructor(
    readonly ctx: WardenContext,
    private readonly ownsContext: boolean,
  ) {
    this.delegation = new DelegationLoop(ctx);
  }

  static async connect(opts: Parameters<typeof openContext>[0] = {}): Promise<Warden> {
    return new Warden(await openContext(opts), true);
  }

  /** Wraps an already open context (the caller keeps closing it). */
  static from(ctx: WardenContext): Warden {
    return new Warden(ctx, false);
  }

  async close(): Promise<void> {
    if (this.ownsContext) await this.ctx.close();
  }

  status() {
    return checkHealth(this.ctx, { checkApi: true });
  }

  /** For `actor` (default WARDEN_PRINCIPAL), an admin; anyone while no admin exists (the first one). */
  addPrincipal(name: string, roles: string[], actor?: string) {
    return grantPrincipal(this.ctx, name, roles, actor ?? this.ctx.config.principal ?? null);
  }

  principals() {
    return principals(this.ctx);
  }

  verifyProvenance() {
    return verifyProvenance(this.ctx.pool, this.ctx.temporal, this.ctx.provenanceKey);
  }

  // Staged endorsement (seeds/staged-approval-cooldown.txt).
  /** For `actor`, who must hold the admin role. */
  createAgent(input: Parameters<typeof endorsement.createAgent>[1], actor: string) {
    return endorsement.createAgent(this.ctx, input, actor);
  }

  /** For `opts.requestedBy` (default: WARDEN_PRINCIPAL), who must hold the agent's operator role. */
  endorseRule(agentId: string, rule: string, opts: endorsement.EndorseOptions = {}) {
    const requestedBy = opts.requestedBy ?? this.ctx.config.principal;
    return endorsement.endorseRule(this.ctx, agentId, rule, { ...opts, ...(requestedBy ? { requestedBy } : {}) });
  }

  /** Answers from the production kernel; throws CriticalSandboxDivergenceError only with waitForShadow. */
  chat(agentId: string, message: string, opts?: endorsement.ChatOptions) {
    return endorsement.chat(this.ctx, agentId, message, opts);
  }

  decide(
    endorsementId: string,
    decision: Parameters<typeof endorsement.decide>[2],
    principal: string,
    rationale?: string,
  ) {
    return endorsement.decide(this.ctx, endorsementId, decision, principal, rationale);
  }

  /** Before the evidence rule is met only with `{ override: true }` and a rationale. */
  promote(endorsementId: string, principal: string, rationale?: string, opts?: endorsement.PromoteOptions) {
    return endorsement.promote(this.ctx, endorsementId, principal, rationale, opts);
  }

  abort(endorsementId: string, principal: string, rationale?: string) {
    return endorsement.abort(this.ctx, endorsementId, principal, rationale);
  }

  extend(endorsementId: string, principal: string, seconds?: number) {
    return endorsement.extend(this.ctx, endorsementId, principal, seconds);
  }

  endorsement(endorsementId: string) {
    return endorsement.showEndorsement(this.ctx, endorsementId);
  }

  kernel(agentId: string) {
    return endorsement.showKernel(this.ctx, agentId);
  }

  // Guard-loop proposals (seeds/self-improving-guard-loop.txt).
  /** The seed's SelfImprovingGuardLoop: one policy and proposer, camel-case arguments. */
  guardLoop(options: GuardLoopOptions): GuardLoop {
    return new GuardLoop(this.ctx, options);
  }

  ingestFeedback(ndjson: string, actor?: string) {
    return guard.ingestFeedback(this.ctx, ndjson, actor ?? null);
  }

  buildManifest(sourceRef: string) {
    return guard.buildManifest(this.ctx, sourceRef);
  }

  proposeCalibrationUpdate(input: guard.CalibrationProposalInput) {
    return guard.proposeCalibrationUpdate(this.ctx, input);
  }

  proposeLoraJob(input: guard.LoraProposalInput) {
    return guard.proposeLoraJob(this.ctx, input);
  }

  approve(proposalId: string, request: { approval_id: string; approver: string }) {
    return guard.approve(this.ctx, proposalId, request);
  }

  release(proposalId: string, releaser: string) {
    return guard.release(this.ctx, proposalId, releaser);
  }

  toSafetyEvent(proposalId: string, options?: guard.SafetyEventRequest) {
    return guard.toSafetyEvent(this.ctx, proposalId, options);
  }

  proposalBundle(proposalId: string) {
    return guard.proposalBundle(this.ctx, proposalId);
  }
}
