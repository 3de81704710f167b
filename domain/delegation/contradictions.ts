import type { Abp } from './schema';

export interface Contradictions {
  objectives: string[];
  tools: string[];
}

/** Objectives or tools that are both allowed and denied: such an ABP means nothing and is refused. */
export function findContradictions(abp: Pick<Abp, 'objectives' | 'tools'>): Contradictions {
  const deniedObjectives = new Set(abp.objectives.denied.map((o) => o.id));
  const deniedTools = new Set(abp.tools.deny.map((t) => t.name));
  return {
    objectives: unique(abp.objectives.allowed.map((o) => o.id).filter((id) => deniedObjectives.has(id))),
    tools: unique(abp.tools.allow.map((t) => t.name).filter((name) => deniedTools.has(name))),
  };
}

export function hasContradictions(c: Contradictions): boolean {
  return c.objectives.length > 0 || c.tools.length > 0;
}

export function describeContradictions(c: Contradictions): string {
  const parts: string[] = [];
  if (c.objectives.length > 0) parts.push(`objectives both allowed and denied: ${c.objectives.join(', ')}`);
  if (c.tools.length > 0) parts.push(`tools both allowed and denied: ${c.tools.join(', ')}`);
  return parts.join('; ');
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
