import type { Benchmark } from '../benchmark';
import { actionCheck } from './action-check';
import { criticalReaction } from './critical-reaction';
import { fleet } from './fleet';
import { gateways } from './gateways';
import { intake } from './intake';
import { livePath } from './live-path';
import { reviewLifecycle } from './review-lifecycle';
import { shadowThroughput } from './shadow-throughput';
import { startup } from './startup';
import { triggerEvaluation } from './trigger-evaluation';

/** Every benchmark of issue 7, in the issue's order (BENCHMARKS.md keeps it), issue 14's action check, then issue 13's fleet figure (opt-in), then issue 18's agent gateways. */
export const benchmarks: Benchmark[] = [
  livePath,
  criticalReaction,
  shadowThroughput,
  triggerEvaluation,
  reviewLifecycle,
  intake,
  startup,
  actionCheck,
  fleet,
  gateways,
];
