import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';

/**
 * Starts a workflow whose id names one piece of work, where a start that finds the id taken
 * (started before, by a retry, another process or the monitor) is not an error: the start's own
 * result, or undefined when the workflow already existed. For clients, activities
 * (`client.workflow.start`) and workflows (`startChild`) alike.
 */
export async function startOrFind<T>(start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw error;
  }
}
