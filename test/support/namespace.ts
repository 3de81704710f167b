import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';

/** Registers a namespace of the test's own and returns its name once the frontend serves it. */
export async function registerTestNamespace(temporal: Client, prefix: string): Promise<string> {
  const namespace = `${prefix}-${randomBytes(3).toString('hex')}`;
  await temporal.connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  // A new namespace reaches the frontend's cache a moment later.
  for (let i = 0; ; i++) {
    try {
      await temporal.connection.operatorService.listSearchAttributes({ namespace });
      return namespace;
    } catch (error) {
      if (i > 60) throw error;
      await sleep(500);
    }
  }
}
