/**
 * Text as PostgreSQL stores it, without zod (workflows check it too, and every workflow run evaluates
 * the modules it imports afresh): its `text` and `jsonb` types cannot hold U+0000, the UTF-8 the
 * database speaks cannot encode a lone UTF-16 surrogate, and a btree index entry (every id, key and
 * subject column is indexed) fails beyond about 2.7 kB. Refusing these at the boundary turns what
 * would be a database error deep inside an activity (retried for ever) into a 400 naming the field.
 */

/** Ids, names, keys, subjects: anything stored in an indexed column, a workflow id or a search attribute. */
export const KEY_TEXT_BYTES = 1_000;
/** A sentence: reasons, rationales, summaries, labels, rule texts. */
export const LINE_TEXT_BYTES = 8_000;
/** Free text stored as it is (chat messages, feedback prompts and responses). */
export const FREE_TEXT_BYTES = 256 * 1024;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** UTF-8 length of a well-formed string, without Buffer (this module also runs inside workflows). */
export function utf8ByteLength(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** Why the database would refuse `value`, or undefined when it stores it unchanged. */
export function textStorageProblem(value: string, maxBytes: number): string | undefined {
  if (value.includes('\u0000')) return 'must not contain a NUL character (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (no lone UTF-16 surrogate)';
  // A UTF-16 unit is at most 3 bytes of UTF-8: only long strings need counting.
  if (value.length * 3 > maxBytes && utf8ByteLength(value) > maxBytes)
    return `must be at most ${maxBytes} bytes (UTF-8)`;
  return undefined;
}

/**
 * Text from a source that cannot be refused, such as a model's answer, made storable: each NUL
 * and each lone surrogate becomes U+FFFD, the replacement character UTF-8 decoders use too.
 */
export function toStorableText(value: string): string {
  return value.replace(/\u0000/g, '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}
