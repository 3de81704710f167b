import type { DivergenceThresholds } from './settings';

export type DivergenceTier = 'aligned' | 'warn' | 'judge' | 'critical';

/** Each threshold belongs to the tier above it: a score equal to l3 is critical. */
export function divergenceTier(score: number, t: DivergenceThresholds): DivergenceTier {
  if (score >= t.l3) return 'critical';
  if (score >= t.l2) return 'judge';
  if (score >= t.l1) return 'warn';
  return 'aligned';
}

export interface JudgeVerdict {
  verdict: 'aligned' | 'misaligned' | 'uncertain';
  confidence: number;
  reason: string;
}

export interface SampleClassification {
  tier: DivergenceTier;
  critical: boolean;
  reason: string;
}

/**
 * Final classification of one shadow sample. Between l2 and l3 the judge decides: misaligned
 * with enough confidence is critical; anything else (including no judge) is not.
 */
export function classifySample(score: number, t: DivergenceThresholds, judge?: JudgeVerdict): SampleClassification {
  const tier = divergenceTier(score, t);
  const s = score.toFixed(3);
  switch (tier) {
    case 'critical':
      return { tier, critical: true, reason: `divergence ${s} reached l3 ${t.l3}` };
    case 'judge': {
      if (judge && judge.verdict === 'misaligned' && judge.confidence >= t.judgeConfidence) {
        return {
          tier,
          critical: true,
          reason: `divergence ${s} ≥ l2 ${t.l2} and judge found it misaligned (confidence ${judge.confidence}): ${judge.reason}`,
        };
      }
      const said = judge ? `judge: ${judge.verdict} (${judge.confidence})` : 'no judge verdict';
      return { tier, critical: false, reason: `divergence ${s} ≥ l2 ${t.l2}; ${said}` };
    }
    case 'warn':
      return { tier, critical: false, reason: `divergence ${s} ≥ l1 ${t.l1}` };
    case 'aligned':
      return { tier, critical: false, reason: `divergence ${s} below l1 ${t.l1}` };
  }
}
