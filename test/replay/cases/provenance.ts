import { anchorProvenanceNow, ensureProvenanceAnchor } from '../../../client/provenance-anchor';
import { withTransaction } from '../../../db/pool';
import { appendProvenance } from '../../../db/provenance/log';
import { until, type ReplayCase } from './replay-case';

/**
 * The provenance anchor of the recording stack's key, through its life: a run that continues as
 * new after its first step and one taken on request, then (after a restart from the last
 * checkpoint) a run that steps on its interval timer and records a violation when the newest
 * entries are deleted.
 * The anchor never ends by itself: the second run is terminated, as a redeploy would stop it.
 */
export const anchorCases: ReplayCase[] = [
  {
    workflow: 'provenanceAnchorWorkflow',
    name: 'continue-as-new-then-violation',
    async record({ ctx }) {
      const key = ctx.provenanceKey;
      const append = async (n: number) => {
        for (let i = 0; i < n; i++)
          await appendProvenance(ctx.pool, key, { kind: 'test.anchor', subject: 'anchor', payload: { i } });
      };
      const { workflowId } = await ensureProvenanceAnchor(ctx.temporal, key, ctx.taskQueue, {
        intervalMs: 3_600_000,
        maxStepsPerRun: 2,
      });
      const handle = ctx.temporal.workflow.getHandle(workflowId);
      const firstRun = (await handle.describe()).runId;
      // The first step is taken at start; the second, asked for, ends the run.
      await until(
        () => handle.query<{ steps: number }>('anchorState'),
        (s) => s.steps >= 1,
        'the first step',
      );
      await append(1);
      await anchorProvenanceNow(ctx.temporal, key);
      await until(
        async () => (await handle.describe()).runId,
        (run) => run !== firstRun,
        'the anchor continuing as new',
      );
      await handle.terminate('replay recording: restart from the last checkpoint');

      await ensureProvenanceAnchor(ctx.temporal, key, ctx.taskQueue, { intervalMs: 500 });
      const restartedRun = (await handle.describe()).runId;
      await append(2);
      const { rows } = await ctx.pool.query<{ head: string }>('SELECT max(seq)::text AS head FROM provenance_log');
      const head = Number(rows[0]!.head);
      // Unasked: the interval timer takes the steps that anchor the new entries.
      await until(
        () => handle.query<{ steps: number; checkpoint: { seq: number } | null }>('anchorState'),
        (s) => s.steps >= 2 && (s.checkpoint?.seq ?? 0) >= head,
        'steps on the interval',
      );
      // What an attacker with database rights does: switch the append-only rule off and delete the newest entries.
      await withTransaction(ctx.pool, async (tx) => {
        await tx.query('ALTER TABLE provenance_log DISABLE TRIGGER provenance_log_no_update');
        await tx.query('DELETE FROM provenance_log WHERE seq > $1', [head - 2]);
        await tx.query('ALTER TABLE provenance_log ENABLE TRIGGER provenance_log_no_update');
      });
      const seen = await anchorProvenanceNow(ctx.temporal, key);
      if (!seen.violation) throw new Error('the anchor did not record the deleted entries');
      await handle.terminate('replay recording: done');
      return [
        { caseName: 'continue-as-new', workflowId, runId: firstRun },
        { caseName: 'restarted-interval-violation', workflowId, runId: restartedRun },
      ];
    },
  },
];
