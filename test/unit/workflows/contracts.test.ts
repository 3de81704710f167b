import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as registered from '../../../workflows';
import { delegationEvaluationWorkflowRef, delegationReviewWorkflowRef } from '../../../workflows/delegation/contract';
import { endorsementWorkflowRef } from '../../../workflows/endorsement/contract';
import { guardProposalWorkflowRef } from '../../../workflows/guard/contract';
import { notificationDeliveryWorkflowRef } from '../../../workflows/notifications/contract';
import { provenanceAnchorWorkflowRef } from '../../../workflows/provenance/contract';

/** Every workflow reference a contract gives clients, with the function the worker registers under its name. */
const refs: [ref: { name: string }, workflow: { name: string }][] = [
  [endorsementWorkflowRef, registered.endorsementWorkflow],
  [delegationReviewWorkflowRef, registered.delegationReviewWorkflow],
  [delegationEvaluationWorkflowRef, registered.delegationEvaluationWorkflow],
  [guardProposalWorkflowRef, registered.guardProposalWorkflow],
  [notificationDeliveryWorkflowRef, registered.notificationDeliveryWorkflow],
  [provenanceAnchorWorkflowRef, registered.provenanceAnchorWorkflow],
];

describe('each loop\'s contract', () => {
  it('names workflows the worker registers, by the name the worker registers them under', () => {
    const exported = registered as Record<string, unknown>;
    for (const [ref, workflow] of refs) {
      expect(exported[ref.name], ref.name).toBe(workflow);
      expect(workflow.name).toBe(ref.name);
    }
  });

  it('gives clients a reference that never runs workflow code outside a worker', () => {
    for (const [ref] of refs) expect(() => (ref as () => unknown)()).toThrow(/runs on a worker/);
  });
});

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the contract is all that leaves workflows/', () => {
  it('client, API, CLI, activities, worker and the rest import a loop\'s contract, never its workflow code', () => {
    const outside = ['activities', 'api', 'bench', 'cli', 'client', 'config', 'db', 'domain', 'scripts', 'start', 'toolchain', 'worker'];
    const imports = outside.flatMap((dir) =>
      sources(join(root, dir)).flatMap((path) =>
        [...readFileSync(path, 'utf8').matchAll(/from '((?:\.\.\/)+workflows\/[^']+)'/g)].map((m) => `${relative(root, path)}: ${m[1]}`),
      ),
    );
    expect(imports.length).toBeGreaterThan(5);
    expect(imports.filter((i) => !/\/workflows\/[a-z]+\/contract$/.test(i))).toEqual([]);
  });
});
