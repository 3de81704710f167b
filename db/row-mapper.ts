/** `abp_hash` → `abpHash`, at the type level. */
type Camel<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** What a column's value becomes in a record: timestamps as ISO-8601 text, everything else as the driver gave it. */
type RecordValue<T> = T extends Date ? string : T;

/** A row as the stores hand it out: keys in camelCase, timestamps as ISO-8601 text. */
export type CamelRow<R> = { [K in keyof R & string as Camel<K>]: RecordValue<R[K]> };

const camel = (column: string) => column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * The one snake_case → camelCase mapping of every store: each column of `row` (so a query names
 * exactly the columns its record has, aliased to the record's names) under its camelCase name,
 * a `Date` as its ISO-8601 text.
 */
export function camelRow<R extends object>(row: R): CamelRow<R> {
  const record: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row))
    record[camel(column)] = value instanceof Date ? value.toISOString() : value;
  return record as CamelRow<R>;
}
