import { z } from 'zod';

export const agentIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _, at most 63 characters');

export const endorsementIdSchema = z
  .string()
  .regex(/^endorsement-[a-z0-9_-]+-\d{8}t\d{6}-[0-9a-f]{4}$/, 'an endorsement id');

/**
 * Readable and unique: the agent, when it was asked (UTC, to the second) and four random hex
 * digits, e.g. `endorsement-research-bot-20261122t031500-9f3a`. Doubles as the workflow id.
 */
export function newEndorsementId(agentId: string, at: Date, randomHex: string): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .toLowerCase();
  return `endorsement-${agentId}-${stamp}-${randomHex.slice(0, 4).toLowerCase()}`;
}

/** Validates an agent id so that the error names the field it came from. */
export function parseAgentId(value: unknown, field = 'agent'): string {
  return z.object({ [field]: agentIdSchema }).parse({ [field]: value })[field] as string;
}
