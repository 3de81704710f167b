import type { Figure } from './result';

export interface BenchContext {
  /** Scaled-down sizes for a smoke run (`--quick` or BENCH_QUICK=1). */
  quick: boolean;
  /** The full size, or the quick one on a smoke run. */
  size(full: number, quick: number): number;
  log(line: string): void;
}

export interface Outcome {
  parameters: Record<string, unknown>;
  figures: Figure[];
  samples: Record<string, number[]>;
  notes: string[];
  /** Kept in the results file only. */
  details?: Record<string, unknown>;
}

/** One benchmark of issue 7: a module under bench/benchmarks/, run in a child process of its own. */
export interface Benchmark {
  name: string;
  /** The item of issue 7 it measures (1–7). */
  item: number;
  title: string;
  /** How it is measured (markdown, one paragraph). */
  method: string;
  /** What limits the figures, written from profiling; shown next to the figures. */
  limits?: string;
  /** Run only when named (`npm run bench -- <name>`), e.g. because it needs a build the others do not. */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<Outcome>;
}

export const benchCommand = (name: string) => `npm run bench -- ${name}`;
