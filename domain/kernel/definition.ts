import { z } from 'zod';
import { WardenError } from '../errors';

/** Identifiers of anchors and commitments: stable, lower snake case, safe in ids and logs. */
const elementId = z.string().regex(/^[a-z][a-z0-9_]{1,63}$/, 'lower snake case, 2–64 characters');
const keyword = z.string().trim().min(2, 'keywords need at least 2 characters').max(120);

export const axiomaticAnchorSchema = z.object({
  id: elementId,
  description: z.string().trim().min(1),
  keywords: z.array(keyword).default([]),
});

export const plasticCommitmentSchema = z.object({
  id: elementId,
  description: z.string().trim().min(1),
  value: z.string().trim().min(1),
  keywords: z.array(keyword).default([]),
});

/**
 * A kernel: axiomatic anchors can never be changed by an endorsement; plastic commitments can,
 * through the endorsement loop; `rules` are endorsed rules that touched no commitment.
 */
export const kernelDefinitionSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().trim().default(''),
    anchors: z.array(axiomaticAnchorSchema).min(1, 'a kernel needs at least one axiomatic anchor'),
    commitments: z.array(plasticCommitmentSchema),
    rules: z.array(z.string().trim().min(1)).default([]),
  })
  .superRefine((kernel, ctx) => {
    const seen = new Set<string>();
    for (const [group, items] of [
      ['anchors', kernel.anchors],
      ['commitments', kernel.commitments],
    ] as const) {
      items.forEach((item, index) => {
        if (seen.has(item.id)) {
          ctx.addIssue({ code: 'custom', path: [group, index, 'id'], message: `duplicate id "${item.id}"` });
        }
        seen.add(item.id);
      });
    }
  });

export type AxiomaticAnchor = z.infer<typeof axiomaticAnchorSchema>;
export type PlasticCommitment = z.infer<typeof plasticCommitmentSchema>;
export type KernelDefinition = z.infer<typeof kernelDefinitionSchema>;

/** A user's mistake: every entry point reports it as invalid input, and no activity retries it. */
export class UnknownCommitmentError extends WardenError {
  constructor(
    readonly commitmentId: string,
    readonly known: string[],
  ) {
    super('invalid', `unknown commitment "${commitmentId}" (known: ${known.join(', ')})`);
    this.name = 'UnknownCommitmentError';
  }
}

export function findCommitment(kernel: KernelDefinition, id: string): PlasticCommitment | undefined {
  return kernel.commitments.find((c) => c.id === id);
}

export function requireCommitment(kernel: KernelDefinition, id: string): PlasticCommitment {
  const found = findCommitment(kernel, id);
  if (!found)
    throw new UnknownCommitmentError(
      id,
      kernel.commitments.map((c) => c.id),
    );
  return found;
}

/** Returns a new kernel; kernels are values, never mutated, so every version stays intact. */
export function withCommitmentValue(kernel: KernelDefinition, id: string, value: string): KernelDefinition {
  requireCommitment(kernel, id);
  return {
    ...kernel,
    commitments: kernel.commitments.map((c) => (c.id === id ? { ...c, value } : c)),
  };
}

export function withRule(kernel: KernelDefinition, rule: string): KernelDefinition {
  return kernel.rules.includes(rule) ? kernel : { ...kernel, rules: [...kernel.rules, rule] };
}

/** The change an endorsement proposes, applied to a kernel. */
export type KernelChange = { kind: 'commitment'; commitmentId: string; value: string } | { kind: 'rule'; rule: string };

export function applyKernelChange(kernel: KernelDefinition, change: KernelChange): KernelDefinition {
  return change.kind === 'commitment'
    ? withCommitmentValue(kernel, change.commitmentId, change.value)
    : withRule(kernel, change.rule);
}
