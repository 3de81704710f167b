import { WardenError } from '../errors';
import { requireCommitment, type KernelChange, type KernelDefinition } from '../kernel/definition';

export type ConflictResult =
  | { kind: 'anchor'; anchorId: string; keyword: string; reason: string }
  | { kind: 'commitment'; commitmentId: string; keyword: string | null; currentValue: string; reason: string }
  | { kind: 'none'; reason: string };

function matchKeyword(text: string, keywords: readonly string[]): string | undefined {
  return keywords.find((k) => text.includes(k.toLowerCase()));
}

function normalise(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Keyword conflict detection, case-insensitive, anchors first: a rule that touches an anchor is
 * rejected even when it also names a commitment. `targetCommitment` lets the caller say which
 * commitment the rule changes when no keyword gives it away (it must exist).
 */
export function detectConflict(kernel: KernelDefinition, ruleText: string, targetCommitment?: string): ConflictResult {
  const text = normalise(ruleText);
  if (text.length === 0) throw new EmptyRuleError();
  for (const anchor of kernel.anchors) {
    const keyword = matchKeyword(text, anchor.keywords);
    if (keyword) {
      return {
        kind: 'anchor',
        anchorId: anchor.id,
        keyword,
        reason: `rule matches "${keyword}" of axiomatic anchor ${anchor.id}; anchors cannot be changed`,
      };
    }
  }
  if (targetCommitment !== undefined) {
    const commitment = requireCommitment(kernel, targetCommitment);
    return {
      kind: 'commitment',
      commitmentId: commitment.id,
      keyword: matchKeyword(text, commitment.keywords) ?? null,
      currentValue: commitment.value,
      reason: `rule changes plastic commitment ${commitment.id} (currently "${commitment.value}")`,
    };
  }
  for (const commitment of kernel.commitments) {
    const keyword = matchKeyword(text, commitment.keywords);
    if (keyword) {
      return {
        kind: 'commitment',
        commitmentId: commitment.id,
        keyword,
        currentValue: commitment.value,
        reason: `rule matches "${keyword}" of plastic commitment ${commitment.id} (currently "${commitment.value}")`,
      };
    }
  }
  return { kind: 'none', reason: 'rule conflicts with no anchor or commitment' };
}

export class EmptyRuleError extends WardenError {
  constructor() {
    super('invalid', 'rule: must not be empty');
    this.name = 'EmptyRuleError';
  }
}

/**
 * What endorsing the rule would change. A commitment takes the explicit value when given, else
 * the rule text itself (as the original does); a rule with no conflict is added to the kernel.
 */
export function proposedChange(conflict: ConflictResult, ruleText: string, value?: string): KernelChange {
  if (conflict.kind === 'commitment') {
    return { kind: 'commitment', commitmentId: conflict.commitmentId, value: (value ?? ruleText).trim() };
  }
  return { kind: 'rule', rule: ruleText.trim() };
}

/** A model's reading of a rule (see the model gateway); keyword matches still come first. */
export interface ModelReading {
  kind: ConflictResult['kind'];
  id: string | null;
  reason: string;
}

/**
 * Combines keyword detection with a model's reading: the stricter outcome wins, so a model can
 * find a conflict the keywords missed but can never clear one the keywords found.
 */
export function combineWithModelReading(
  kernel: KernelDefinition,
  byKeyword: ConflictResult,
  reading: ModelReading | null,
): ConflictResult {
  if (!reading || byKeyword.kind === 'anchor' || reading.kind === 'none' || !reading.id) return byKeyword;
  if (reading.kind === 'anchor') {
    return {
      kind: 'anchor',
      anchorId: reading.id,
      keyword: '(model)',
      reason: `model: rule breaks axiomatic anchor ${reading.id}: ${reading.reason}`,
    };
  }
  if (byKeyword.kind === 'commitment') return byKeyword;
  const commitment = requireCommitment(kernel, reading.id);
  return {
    kind: 'commitment',
    commitmentId: commitment.id,
    keyword: null,
    currentValue: commitment.value,
    reason: `model: rule changes plastic commitment ${commitment.id} (currently "${commitment.value}"): ${reading.reason}`,
  };
}
