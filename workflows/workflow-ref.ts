import type { Workflow } from '@temporalio/workflow';

/**
 * A workflow as its clients name it: a function with the workflow type as its name and the
 * workflow's signature as its type, and none of its code. The Temporal client takes it wherever it
 * takes the workflow function (`workflow.start(ref, …)`, `getHandle<typeof ref>`, update-with-start,
 * schedules), so a start is typed by the workflow's input and result, while the client, the CLI
 * and the API never load workflow code. Each loop's contract.ts declares one per workflow from a
 * type-only import of the workflow function; test/unit/workflows/contracts.test.ts checks that
 * every name is a workflow the worker registers.
 */
export function workflowRef<F extends Workflow>(workflowType: string): F {
  const ref = () => {
    throw new Error(`${workflowType} runs on a worker; a client only names it`);
  };
  Object.defineProperty(ref, 'name', { value: workflowType });
  return ref as unknown as F;
}
