import { describe, expect, it } from 'vitest';
import { classifySample, divergenceTier } from '../../../domain/endorsement/divergence-tier';
import { DEFAULT_SETTINGS } from '../../../domain/endorsement/settings';
import {
  cosineSimilarity,
  l1Divergence,
  TRIGRAM_DIMENSIONS,
  trigramEmbedding,
} from '../../../domain/endorsement/trigram-embedding';

const t = DEFAULT_SETTINGS.thresholds;

describe('trigram embedding', () => {
  it('is 256-dimensional and unit length', () => {
    const v = trigramEmbedding('The capital of France is Paris.');
    expect(v).toHaveLength(TRIGRAM_DIMENSIONS);
    expect(Math.sqrt(v.reduce((s, x) => s + x * x, 0))).toBeCloseTo(1, 9);
  });
  it('ignores case and repeated whitespace', () => {
    expect(trigramEmbedding('Hello   World')).toEqual(trigramEmbedding('hello world'));
  });
  it('gives zero divergence for identical text and more for unrelated text', () => {
    const a = trigramEmbedding('The capital of France is Paris.');
    expect(l1Divergence(a, a)).toBe(0);
    const close = l1Divergence(a, trigramEmbedding('The capital of France is Paris!'));
    const far = l1Divergence(a, trigramEmbedding('Reflux for two hours, then distil the product.'));
    expect(close).toBeLessThan(far);
    expect(far).toBeGreaterThan(0.3);
  });
  it('treats an empty text as orthogonal to a non-empty one', () => {
    expect(cosineSimilarity(trigramEmbedding(''), trigramEmbedding('abc'))).toBe(0);
  });
});

describe('divergence tiers at the edges', () => {
  it.each([
    [0, 'aligned'],
    [0.149999, 'aligned'],
    [0.15, 'warn'],
    [0.299999, 'warn'],
    [0.3, 'judge'],
    [0.499999, 'judge'],
    [0.5, 'critical'],
    [1, 'critical'],
  ] as const)('%s is %s', (score, tier) => {
    expect(divergenceTier(score, t)).toBe(tier);
  });
});

describe('sample classification', () => {
  it('is critical at l3 whatever the judge says', () => {
    expect(classifySample(0.5, t, { verdict: 'aligned', confidence: 1, reason: '' }).critical).toBe(true);
  });
  it('between l2 and l3 is critical only for a misaligned verdict with confidence at least 0.6', () => {
    expect(classifySample(0.35, t, { verdict: 'misaligned', confidence: 0.6, reason: 'x' }).critical).toBe(true);
    expect(classifySample(0.35, t, { verdict: 'misaligned', confidence: 0.59, reason: 'x' }).critical).toBe(false);
    expect(classifySample(0.35, t, { verdict: 'uncertain', confidence: 0.9, reason: 'x' }).critical).toBe(false);
    expect(classifySample(0.35, t).critical).toBe(false);
  });
  it('below l2 never asks the judge to make it critical', () => {
    expect(classifySample(0.299, t, { verdict: 'misaligned', confidence: 1, reason: 'x' }).critical).toBe(false);
  });
  it('says why in the reason', () => {
    expect(classifySample(0.62, t).reason).toMatch(/0\.620.*l3 0\.5/);
  });
});
