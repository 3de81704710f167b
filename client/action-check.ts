import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PipelinedConnection } from '../db/pipelined-connection';
import { gatherFacts, snapshotFacts, type FactSnapshot } from '../db/delegation/action-facts';
import {
  insertActionCheck,
  insertStampedChecks,
  recordChecksAtHead,
  type StampedCheck,
  type StampedOutcome,
} from '../db/delegation/action-checks';
import { tokenRefusal } from '../db/access/api-tokens';
import { firedEscalations, recordEscalations } from '../db/delegation/escalations';
import { withTransaction } from '../db/pool';
import {
  APPEND_LOCK,
  appendProvenance,
  appendProvenanceAfterHead,
  appendProvenanceBatch,
  signEntriesAfter,
  type ProvenanceHead,
  type ProvenanceInput,
} from '../db/provenance/log';
import { ActionSchema, type Action } from '../domain/delegation/action';
import { checkAbpIdentity, type IdentityCheck } from '../domain/delegation/identity';
import { checkAction, type ActionVerdict } from '../domain/delegation/validators';
import { GroupCommit } from './group-commit';
import { TokenRefusedError } from './verified-tokens';

export interface ActionCheckRecord extends ActionVerdict {
  checkId: string;
  abpId: string;
  abpHash: string | null;
  irreversible: boolean;
}

/** Who asks, when it matters: the API token a caller was authenticated with from a cache. */
export interface CheckCaller {
  tokenId?: string;
}

/**
 * The execution umbrella for one action: gathers the facts, runs the validators and records the
 * verdict, its escalations and a provenance entry in one transaction.
 */
export async function runActionCheck(
  deps: { pool: pg.Pool; provenanceKey: string },
  abpId: string,
  actionInput: unknown,
  caller: CheckCaller = {},
): Promise<ActionCheckRecord> {
  const action = ActionSchema.parse(actionInput);
  const now = new Date();
  // The provenance lock first, as the group commit's flush takes it: both insert the same check
  // ids, and the opposite order could deadlock a fallback check with a flush.
  return withTransaction(
    deps.pool,
    async (tx) => {
      if (caller.tokenId) {
        const refusal = await tokenRefusal(tx, caller.tokenId);
        if (refusal) throw new TokenRefusedError(refusal);
      }
      const { facts, current } = await gatherFacts(tx, abpId, now, { agentId: action.agent_id ?? null });
      const verdict = checkAction(facts, action);
      const checkId = checkIdOf(abpId, action);
      const inserted = await insertActionCheck(tx, {
        checkId,
        abpId,
        abpHash: current?.abpHash ?? null,
        action,
        verdict,
        checkedAt: now,
      });
      if (inserted) {
        await recordEscalations(tx, deps.provenanceKey, {
          abpId,
          source: 'validator',
          reference: checkId,
          subject: `abp:${abpId}`,
          fired: firedEscalations(verdict),
        });
        await appendProvenance(tx, deps.provenanceKey, checkedEntry({ checkId, abpId, action, verdict }));
      }
      return { checkId, abpId, abpHash: current?.abpHash ?? null, irreversible: action.irreversible, ...verdict };
    },
    { lock: APPEND_LOCK },
  );
}

const checkIdOf = (abpId: string, action: Action) =>
  action.action_id ? `${abpId}/${action.action_id}` : `check-${randomUUID()}`;

/** The provenance entry of one recorded check (never the action's text beyond names and ids). */
export function checkedEntry(c: {
  checkId: string;
  abpId: string;
  action: Action;
  verdict: ActionVerdict;
}): ProvenanceInput {
  return {
    kind: 'action.checked',
    subject: `abp:${c.abpId}`,
    actor: c.action.agent_id ?? null,
    payload: {
      check_id: c.checkId,
      decision: c.verdict.decision,
      irreversible: c.action.irreversible,
      failed: c.verdict.results.filter((r) => !r.passed).map((r) => r.name),
      escalations: c.verdict.escalations.map((e) => e.destination),
    },
  };
}

/** An ABP as the engine decides from it: its facts, the stamps they were read under, its identity computed once. */
interface CompiledAbp {
  snapshot: FactSnapshot;
  identity: IdentityCheck;
}

const CACHED_ABPS = 1_000;

/**
 * The action-check hot path: decides from a compiled, cached form of the ABP (no read on the
 * way) and records the verdict through a group commit whose statement re-validates the cached
 * facts against the stored ones (the ABP's change stamp, migrations 010 and 016: a change to
 * another ABP leaves this one's cached form fresh). A verdict decided on
 * facts that changed meanwhile (a patch, replace, revoke, re-stamped export or new drift) is not
 * recorded: the check runs again the old way, in one transaction that reads the facts, and the
 * cache is dropped, so no answer is ever given on facts that were already replaced when it was
 * recorded. The caller is answered once its verdict is durable.
 */
export class ActionCheckEngine {
  private readonly compiled = new Map<string, Promise<CompiledAbp>>();
  private readonly ready = new Map<string, CompiledAbp>();
  private readonly commits: GroupCommit<StampedCheck, StampedOutcome>;
  /** The chain's head as this engine's last flush left it: the next flush signs its entries after it. */
  private head: ProvenanceHead | null = null;

  /** Flushes started so far: a fallback leaves its head as the next flush's only if it is the newest. */
  private started = 0;
  /** The fallbacks, one after the other in the order their flushes started. */
  private fallbacks: Promise<unknown> = Promise.resolve();

  /**
   * With `pipeline`, a connection of the engine's own (PipelinedConnection), a flush may be sent
   * while the one before it runs, signed after the head that one will leave, once
   * PIPELINED_MIN_BATCH verdicts wait: the database runs them in order on that connection, so the
   * head check holds, and it never waits idle for the engine between two flushes. Without it,
   * one flush at a time on a connection of `pool`.
   */
  constructor(private readonly deps: { pool: pg.Pool; provenanceKey: string; pipeline?: PipelinedConnection }) {
    this.commits = deps.pipeline
      ? new GroupCommit((batch) => this.flush(batch), 500, 2, 0, {
          minBatch: PIPELINED_MIN_BATCH,
          allowed: () => this.head !== null,
        })
      : new GroupCommit((batch) => this.flush(batch));
  }

  /**
   * Decides and records one check; with `caller.tokenId` it is recorded only while that token
   * still holds (else TokenRefusedError), so the API may authenticate its caller from a cache.
   */
  async check(abpId: string, actionInput: unknown, caller: CheckCaller = {}): Promise<ActionCheckRecord> {
    const action = ActionSchema.parse(actionInput);
    const now = new Date();
    const compiled = await this.compile(abpId, now);
    const { snapshot } = compiled;
    // A parent's boundary and an agent's degradation are judged per check on a fresh read.
    if (snapshot.needsFullRead) return runActionCheck(this.deps, abpId, action, caller);
    const verdict = checkAction({ ...snapshot.facts, now: now.getTime(), identity: compiled.identity }, action);
    const checkId = checkIdOf(abpId, action);
    const abpHash = snapshot.current?.abpHash ?? null;
    const outcome = await this.commits.submit({
      checkId,
      abpId,
      abpHash,
      action,
      verdict,
      checkedAt: now,
      stamps: snapshot.stamps,
      tokenId: caller.tokenId ?? null,
    });
    // A refused token is named by the full path, which reads it in its own transaction.
    if (outcome === 'refused') return runActionCheck(this.deps, abpId, action, caller);
    if (outcome === 'stale') {
      this.forget(abpId, compiled);
      return runActionCheck(this.deps, abpId, action, caller);
    }
    return { checkId, abpId, abpHash, irreversible: action.irreversible, ...verdict };
  }

  /**
   * The decision alone, from the compiled ABP, without recording it (nothing counts it, nothing
   * re-validates it): what the engine spends per check besides the group commit. Null when the
   * ABP is not compiled (or its facts have expired with time).
   */
  decideCached(abpId: string, action: Action, now = new Date()): ActionVerdict | null {
    const entry = this.ready.get(abpId);
    if (!entry || now.getTime() >= entry.snapshot.holdsUntil) return null;
    return checkAction({ ...entry.snapshot.facts, now: now.getTime(), identity: entry.identity }, action);
  }

  /** Waits until every verdict submitted so far is stored. */
  drain(): Promise<void> {
    return this.commits.drain();
  }

  private async compile(abpId: string, now: Date): Promise<CompiledAbp> {
    const cached = this.compiled.get(abpId);
    if (cached) {
      const entry = await cached.catch(() => undefined);
      if (entry && now.getTime() < entry.snapshot.holdsUntil) return entry;
      if (this.compiled.get(abpId) === cached) this.drop(abpId);
    }
    const loading = snapshotFacts(this.deps.pool, abpId, now).then((snapshot) => {
      const entry = { snapshot, identity: checkAbpIdentity(snapshot.facts.abp) };
      // A cold engine's first flush tries the one-round-trip path from the head read with the facts.
      this.head ??= snapshot.provenanceHead;
      if (this.compiled.get(abpId) === loading) this.ready.set(abpId, entry);
      return entry;
    });
    // A failed read (an unknown ABP) is not cached: the next call asks again.
    loading.catch(() => this.compiled.get(abpId) === loading && this.drop(abpId));
    this.compiled.set(abpId, loading);
    if (this.compiled.size > CACHED_ABPS) this.drop(this.compiled.keys().next().value!);
    return loading;
  }

  private drop(abpId: string): void {
    this.compiled.delete(abpId);
    this.ready.delete(abpId);
  }

  /** Drops `entry` if it is still the cached one (a newer load may have replaced it meanwhile). */
  private forget(abpId: string, entry: CompiledAbp): void {
    if (this.ready.get(abpId) === entry) this.drop(abpId);
  }

  /**
   * Records a batch in one round trip when it can (recordChecksAtHead: no verdict escalates,
   * every one is recorded and the chain's head is still the one the last flush left), else in
   * one transaction of its own that reads what it needs (flushLocked).
   */
  private async flush(batch: StampedCheck[]): Promise<StampedOutcome[]> {
    const firstOf = new Map<string, number>();
    const unique = batch.filter((c, i) => !firstOf.has(c.checkId) && firstOf.set(c.checkId, i));
    const started = ++this.started;
    const head = this.head;
    let outcomes: StampedOutcome[] | null = null;
    if (head && unique.every((c) => c.verdict.escalations.length === 0)) {
      const entries = signEntriesAfter(this.deps.provenanceKey, unique.map(checkedEntry), head);
      // A flush sent behind this one (pipelined) signs after the entries this one appends.
      this.head = entries.at(-1) ?? head;
      let written: boolean;
      try {
        written = await recordChecksAtHead(this.deps.pipeline ?? this.deps.pool, unique, entries, head);
      } catch (error) {
        this.head = null;
        throw error;
      }
      if (written) outcomes = unique.map(() => 'inserted' as const);
      // Nothing written: every flush sent behind this one fails its head check too.
      else this.head = null;
    }
    if (!outcomes) {
      const fallback = this.fallbacks.then(() => this.flushLocked(unique, started));
      this.fallbacks = fallback.catch(() => undefined);
      outcomes = await fallback;
    }
    const byId = new Map(unique.map((c, i) => [c.checkId, outcomes[i]!]));
    // A check id twice in one batch is recorded once, as two calls one after the other would be.
    return batch.map((c, i) => {
      const outcome = byId.get(c.checkId)!;
      return firstOf.get(c.checkId) === i || outcome !== 'inserted' ? outcome : 'duplicate';
    });
  }

  /**
   * One transaction for a batch of distinct check ids, in four round trips when no verdict
   * escalates: BEGIN with the provenance lock, the stamped insert (which reads the chain's head
   * too), the entries' INSERT, then COMMIT. Escalations append entries of their own, so a batch
   * with any reads the head again. Leaves the head it wrote as the next flush's.
   */
  private async flushLocked(unique: StampedCheck[], started: number): Promise<StampedOutcome[]> {
    this.head = null;
    const { outcomes, head } = await withTransaction(
      this.deps.pool,
      async (tx) => {
        const { outcomes, provenanceHead } = await insertStampedChecks(tx, unique);
        const recorded = unique.filter((_, i) => outcomes[i] === 'inserted');
        const escalating = recorded.filter((r) => r.verdict.escalations.length > 0);
        for (const c of escalating) {
          const reference = c.checkId;
          await recordEscalations(tx, this.deps.provenanceKey, {
            abpId: c.abpId,
            source: 'validator',
            reference,
            subject: `abp:${c.abpId}`,
            fired: firedEscalations(c.verdict),
          });
        }
        const entries = recorded.map(checkedEntry);
        const appended =
          escalating.length > 0 || !provenanceHead
            ? await appendProvenanceBatch(tx, this.deps.provenanceKey, entries)
            : await appendProvenanceAfterHead(tx, this.deps.provenanceKey, entries, provenanceHead);
        return { outcomes, head: appended.at(-1) ?? provenanceHead };
      },
      { lock: APPEND_LOCK },
    );
    // A newer flush (sent pipelined before this one fell back) appends after it: its head is not the chain's.
    if (started === this.started) this.head = head;
    return outcomes;
  }
}

/** Verdicts that must wait before a flush is sent behind a running one (see the constructor). */
const PIPELINED_MIN_BATCH = 2;
