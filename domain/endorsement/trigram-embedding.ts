export const TRIGRAM_DIMENSIONS = 256;

/** 32-bit FNV-1a: stable across processes and platforms, unlike any runtime hash. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Local fallback embedding: character trigrams of the lower-cased, whitespace-collapsed text,
 * hashed into 256 buckets and L2-normalised. Crude, but deterministic and offline.
 */
export function trigramEmbedding(text: string, dimensions = TRIGRAM_DIMENSIONS): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const normalised = ` ${text.toLowerCase().replace(/\s+/g, ' ').trim()} `;
  for (let i = 0; i + 3 <= normalised.length; i++) {
    const bucket = fnv1a(normalised.slice(i, i + 3)) % dimensions;
    vector[bucket] = (vector[bucket] ?? 0) + 1;
  }
  const norm = Math.sqrt(vector.reduce((s, v) => s + v * v, 0));
  return norm === 0 ? vector : vector.map((v) => v / norm);
}

export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`embedding sizes differ: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return na === nb ? 1 : 0;
  return dot / Math.sqrt(na * nb);
}

/** L1 divergence: 1 − cosine, clamped to [0, 1] and rounded so stored scores compare exactly. */
export function l1Divergence(a: readonly number[], b: readonly number[]): number {
  const d = 1 - cosineSimilarity(a, b);
  return Math.round(Math.min(1, Math.max(0, d)) * 1e6) / 1e6;
}
