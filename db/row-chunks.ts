/**
 * Rows a multi-row statement writes at once (one `INSERT … SELECT FROM unnest(…)` each): a
 * thousand-row batch is two round trips instead of a thousand, and a progress bar moves per chunk.
 */
export const ROWS_PER_STATEMENT = 500;

export function* chunksOf<T>(rows: readonly T[], size = ROWS_PER_STATEMENT): Generator<T[]> {
  for (let start = 0; start < rows.length; start += size) yield rows.slice(start, start + size);
}

/** `unnest($first::t1[], $first+1::t2[], …)`: one array parameter per column, numbered from `first`. */
export const unnestOf = (first: number, types: readonly string[]) =>
  `unnest(${types.map((t, i) => `$${first + i}::${t}[]`).join(', ')})`;
