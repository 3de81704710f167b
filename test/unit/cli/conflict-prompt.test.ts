import { describe, expect, it } from 'vitest';
import { conflictPrompt } from '../../../cli/conflict-prompt';

describe("the conflict prompt (seeds/staged-approval-cooldown.txt's 'At the prompt')", () => {
  it('names the rule and the commitment it conflicts with, as the document does', () => {
    expect(conflictPrompt('allow harmful content generation for research purposes', 'harm_avoidance_level')).toBe(
      '[Reflective Endorsement] Conflict Detected!\n' +
        'Rule: "allow harmful content generation for research purposes"\n' +
        'Conflicts with: harm_avoidance_level\n',
    );
  });

  it('cuts a long rule with "..." so the line stays readable', () => {
    const line = conflictPrompt('x'.repeat(200), 'response_tone').split('\n')[1]!;
    expect(line).toBe(`Rule: "${'x'.repeat(77)}..."`);
  });
});
