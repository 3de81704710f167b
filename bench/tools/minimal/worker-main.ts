import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

/**
 * A worker that runs only minimalWorkflow (./workflow.ts), in a process of its own so that its CPU
 * is read apart (bench/tools/workflow-start-cost.ts). TEMPORAL_ADDRESS and TEMPORAL_TASK_QUEUE
 * say where.
 */
Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  taskQueue: process.env.TEMPORAL_TASK_QUEUE!,
  workflowsPath: fileURLToPath(new URL('./workflow.ts', import.meta.url)),
  shutdownGraceTime: '1s',
});
const running = worker.run();
process.stdout.write(`ready ${process.env.TEMPORAL_TASK_QUEUE}\n`);
process.on('SIGTERM', () => worker.shutdown());
await running;
await connection.close();
