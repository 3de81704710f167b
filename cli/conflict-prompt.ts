/** Longer rules are cut here, as the seed's prompt cuts them, so the prompt stays on one line. */
const RULE_WIDTH = 80;

/** The seed's prompt for a plastic conflict, before the decision is asked for. */
export function conflictPrompt(rule: string, target: string | null): string {
  const shown = rule.length > RULE_WIDTH ? `${rule.slice(0, RULE_WIDTH - 3)}...` : rule;
  return `[Reflective Endorsement] Conflict Detected!\nRule: "${shown}"\nConflicts with: ${target ?? '(no commitment)'}\n`;
}
