import { describeContradictions, findContradictions, hasContradictions } from './contradictions';
import { describeZodError } from '../input/field-issues';
import { checkAbpIdentity } from './identity';
import { AbpSchema, type Abp } from './schema';
import type { GateResult } from './export-gates';

/** The gates that read the embedded ABP alone (schema, hash, id, contradictions), and the ABP when its schema holds. */
export interface EmbeddedAbpChecks {
  gates: readonly Readonly<GateResult>[];
  abp: Abp | undefined;
}

/**
 * Checked before, by the ABP's JSON text. Every export of an ABP embeds the same ABP, and an
 * approval gates each export twice (planned, then as stored and read back), so the schema parse,
 * the canonical hash and the contradictions of one ABP were computed eight times per approval.
 * The key is the JSON form and the checks run on that form (what an export stores and ships), so
 * a result is a function of its key alone. Bounded: the oldest goes first.
 */
const checked = new Map<string, EmbeddedAbpChecks>();
const KEPT = 64;

/** The ABP-only gates of an export's embedded ABP (`raw`, as found in the document). */
export function checkEmbeddedAbp(raw: unknown): EmbeddedAbpChecks {
  const key = JSON.stringify(raw);
  const known = checked.get(key);
  if (known) return known;
  const found = check(JSON.parse(key) as unknown);
  if (checked.size >= KEPT) checked.delete(checked.keys().next().value!);
  checked.set(key, found);
  return found;
}

function check(raw: unknown): EmbeddedAbpChecks {
  const parsed = AbpSchema.safeParse(raw);
  if (!parsed.success)
    return {
      gates: [
        {
          gate: 'gate.abp_schema_valid',
          passed: false,
          detail: describeZodError(parsed.error, { whole: '(document)' }),
        },
      ],
      abp: undefined,
    };
  const abp: Abp = parsed.data;
  const identity = checkAbpIdentity(abp);
  const contradictions = findContradictions(abp);
  return {
    abp,
    gates: [
      { gate: 'gate.abp_schema_valid', passed: true, detail: 'ABP v1 schema' },
      {
        gate: 'gate.abp_hash_integrity',
        passed: identity.hashMatches,
        detail: identity.hashMatches ? 'hash recomputed' : `embedded ${abp.hash}, recomputed ${identity.expectedHash}`,
      },
      {
        gate: 'gate.abp_id_deterministic',
        passed: identity.idMatches,
        detail: identity.idMatches ? 'id recomputed' : `embedded ${abp.abp_id}, recomputed ${identity.expectedId}`,
      },
      {
        gate: 'gate.abp_no_contradictions',
        passed: !hasContradictions(contradictions),
        detail: hasContradictions(contradictions) ? describeContradictions(contradictions) : 'no contradictions',
      },
    ],
  };
}
