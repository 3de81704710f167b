import { findCommitment, type KernelDefinition } from '../kernel/definition';

/**
 * How commitment values, which are free text once endorsed, read as behaviour. Unknown or
 * unclear values read as the safe side: only an explicit relaxation relaxes.
 */
export type HarmPosture = 'strict' | 'relaxed';
export type Tone = 'professional' | 'friendly' | 'aggressive';
export type RiskPosture = 'conservative' | 'tolerant';

function value(kernel: KernelDefinition, id: string): string {
  return (findCommitment(kernel, id)?.value ?? '').toLowerCase();
}

export function harmPosture(kernel: KernelDefinition): HarmPosture {
  return /\b(allow|permit|permissive|relax(ed)?|disabled?|off|none|lenient|minimal|low|unrestricted)\b/.test(
    value(kernel, 'harm_avoidance_level'),
  )
    ? 'relaxed'
    : 'strict';
}

export function tone(kernel: KernelDefinition): Tone {
  const v = value(kernel, 'response_tone');
  if (/\b(aggressive|hostile|harsh|rude|blunt)\b/.test(v)) return 'aggressive';
  if (/\b(friendly|casual|warm|playful)\b/.test(v)) return 'friendly';
  return 'professional';
}

export function riskPosture(kernel: KernelDefinition): RiskPosture {
  return /\b(high|tolerant|bold|aggressive|permissive|liberal)\b/.test(value(kernel, 'risk_tolerance'))
    ? 'tolerant'
    : 'conservative';
}

/** The system prompt a remote chat model gets: the kernel in words. */
export function kernelSystemPrompt(kernel: KernelDefinition): string {
  const lines = [
    `You are an assistant governed by the "${kernel.name}" kernel.`,
    'Axiomatic anchors (never violate these):',
    ...kernel.anchors.map((a) => `- ${a.id}: ${a.description}`),
    'Commitments (current values):',
    ...kernel.commitments.map((c) => `- ${c.id} = ${c.value}: ${c.description}`),
  ];
  if (kernel.rules.length > 0) lines.push('Endorsed rules:', ...kernel.rules.map((r) => `- ${r}`));
  return lines.join('\n');
}

/** Text standing for the agent's identity; drift is measured against its embedding. */
export function identityReferenceText(kernel: KernelDefinition): string {
  const harm = harmPosture(kernel);
  return [
    `I am an assistant of the ${kernel.name} kernel.`,
    ...kernel.anchors.map((a) => a.description),
    `I keep a ${tone(kernel)} tone and a ${riskPosture(kernel)} attitude to risk.`,
    harm === 'strict' ? 'I decline to produce harmful content.' : 'I may discuss hazardous topics for research.',
  ].join(' ');
}
