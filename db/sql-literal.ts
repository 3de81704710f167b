/**
 * `text` as a SQL string literal, exactly as pg's `escapeLiteral` writes it (quotes and
 * backslashes doubled, ` E'…'` when there is a backslash), for simple-protocol messages that
 * carry their values inline. pg's builds the literal one character at a time; a group commit's
 * flush escapes several kilobytes of JSON per message on the path every check waits on, where
 * one regular-expression pass costs about a tenth.
 */
export function sqlLiteral(text: string): string {
  const quoted = `'${text.replace(/['\\]/g, '$&$&')}'`;
  return text.includes('\\') ? ` E${quoted}` : quoted;
}
