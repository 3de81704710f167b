import { chat } from '../../client/endorsement';
import { requireEndorsement } from '../../db/endorsement/endorsements';
import type { Benchmark } from '../benchmark';
import { benchOperator, HARMFUL, stagedEndorsement } from '../fixtures';
import { startLocalStack } from '../stack/local-stack';
import { summarize } from '../stats';

/** Item 2: from a critical shadow sample to the rejected endorsement. */
export const criticalReaction: Benchmark = {
  name: 'critical-reaction',
  item: 2,
  title: 'Reaction to critical divergence',
  method:
    'Each sample is a fresh agent with the seed rule staged (embedded model; cooldown an hour, so only a critical sample can end ' +
    'it). The clock starts when `chat` is called with the harmful request — the call that queues the shadow sample and wakes the ' +
    'workflow — and stops when the endorsement workflow has closed with the endorsement rejected (`handle.result()`, checked ' +
    'against the row in PostgreSQL). One endorsement at a time, so the figure is the reaction time, not a queue. The peers react ' +
    'in interval × threshold, i.e. minutes.',
  limits:
    'The path is one signal, one workflow task, the scoring activity (sandbox answer, three embeddings, one transaction with ' +
    'the provenance append), one workflow task, the transition activity (one transaction with the provenance append) and the ' +
    'closing workflow task: about six round trips to the Temporal server and two transactions, each a few milliseconds on an ' +
    'idle machine; the spread comes from the other processes on the two cores. Nothing waits on a timer: the workflow is woken ' +
    'by the signal the chat sends',
  async run(ctx) {
    const count = ctx.size(60, 8);
    const stack = await startLocalStack({ log: ctx.log });
    try {
      const w = stack.ctx;
      const operator = await benchOperator(w);
      const reaction: number[] = [];
      const liveAnswer: number[] = [];
      let notRejected = 0;
      for (let i = 0; i < count; i++) {
        const staged = await stagedEndorsement(w, operator);
        const handle = w.temporal.workflow.getHandle(staged.endorsementId);
        const t0 = performance.now();
        await chat(w, staged.agentId, HARMFUL);
        liveAnswer.push(performance.now() - t0);
        await handle.result();
        reaction.push(performance.now() - t0);
        if ((await requireEndorsement(w.pool, staged.endorsementId)).state !== 'rejected') notRejected += 1;
      }
      if (notRejected > 0)
        throw new Error(`${notRejected} of ${count} endorsements were not rejected by a critical sample`);
      const r = summarize(reaction);
      const live = summarize(liveAnswer);
      return {
        parameters: { endorsements: count, model: 'embedded' },
        figures: [
          {
            key: 'reaction_p99',
            label: 'sample submitted → rejected, p99',
            value: r.p99,
            unit: 'ms',
            target: { op: '<=', value: 1000 },
          },
          { key: 'reaction_p50', label: 'sample submitted → rejected, p50', value: r.p50, unit: 'ms' },
          { key: 'reaction_max', label: 'sample submitted → rejected, max', value: r.max, unit: 'ms' },
          { key: 'live_p50', label: 'live answer of that chat, p50', value: live.p50, unit: 'ms' },
        ],
        samples: { reaction_ms: reaction, live_answer_ms: liveAnswer },
        notes: [],
      };
    } finally {
      await stack.stop();
    }
  },
};
