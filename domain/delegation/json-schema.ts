import { z } from 'zod';
import { AbpSchema } from './schema';

type JsonSchemaNode = Record<string, unknown>;

/**
 * ABP v1 as JSON Schema draft 2020-12, generated from the zod schema so the two cannot disagree.
 * Three generator habits are folded back into the original's spelling: date-times are
 * `format: date-time` without zod's long pattern, a nullable date-time is `type: [string, null]`,
 * free-form `config`/`condition` maps are plain `type: object`, and integers carry no safe-integer bounds.
 */
export function abpJsonSchema(): JsonSchemaNode {
  const generated = z.toJSONSchema(AbpSchema, { target: 'draft-2020-12' }) as JsonSchemaNode;
  const schema = simplify(generated) as JsonSchemaNode;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://warden.local/schemas/abp_v1.json',
    title: 'Authority Boundary Primitive v1',
    ...schema,
  };
}

/** zod states JavaScript's safe-integer range on every integer; the original states none. */
function integerBounds(n: JsonSchemaNode): JsonSchemaNode {
  const out: JsonSchemaNode = { ...n };
  if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  return out;
}

function isDateTime(node: unknown): boolean {
  return typeof node === 'object' && node !== null && (node as JsonSchemaNode).format === 'date-time';
}

function simplify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(simplify);
  if (typeof node !== 'object' || node === null) return node;
  const n = node as JsonSchemaNode;
  if (isDateTime(n)) return { type: 'string', format: 'date-time' };
  const anyOf = n.anyOf as unknown[] | undefined;
  if (anyOf?.length === 2 && isDateTime(anyOf[0]) && (anyOf[1] as JsonSchemaNode).type === 'null') {
    return { type: ['string', 'null'], format: 'date-time' };
  }
  if (anyOf?.length === 2 && (anyOf[1] as JsonSchemaNode).type === 'null') {
    const inner = simplify(anyOf[0]) as JsonSchemaNode;
    if (typeof inner.type === 'string') return { ...inner, type: [inner.type, 'null'] };
  }
  if (n.type === 'object' && n.propertyNames !== undefined) return { type: 'object' };
  if (n.type === 'integer') return integerBounds(n);
  const out: JsonSchemaNode = {};
  for (const [key, value] of Object.entries(n)) {
    if (key === '$schema') continue;
    out[key] = simplify(value);
  }
  return out;
}
