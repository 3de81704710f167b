import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildAbp } from '../../../domain/delegation/build';
import { abpCanonicalJson, referenceNormalForm } from '../../../domain/delegation/canonical';
import { demoAbpSpec, DEMO_CLOCK } from '../../../demo/delegation-abp';
import { AbpSpecError } from '../../../domain/delegation/errors';
import { gateExport } from '../../../domain/delegation/export-gates';
import { checkAbpIdentity, computeAbpHash, computeAbpId } from '../../../domain/delegation/identity';
import { patchAbp } from '../../../domain/delegation/patch';
import { AbpSchema, type AbpSpecInput } from '../../../domain/delegation/schema';
import { sha256Hex } from '../../../domain/non-workflow/sha256';

/**
 * Golden vectors: facts produced by running the ABP reference tooling itself (DeepSigma
 * canonical_json.py and build_abp.py; see the file's "about"). Warden must give the same
 * canonical text, abp_id and hash for every one of them.
 */
interface CanonicalVector {
  name: string;
  input_json: string;
  canonical: string;
  sha256: string;
}
interface AbpVector {
  name: string;
  spec: AbpSpecInput;
  clock: string | null;
  effective_at: string | null;
  expires_at: string | null;
  parent: [string, string] | null;
  abp_json: string;
  abp_id: string;
  hash: string;
  id_seed_canonical: string;
  hash_canonical: string;
}
const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/abp-reference-vectors.json', import.meta.url), 'utf8'),
) as {
  canonical: CanonicalVector[];
  abps: AbpVector[];
};

/** Warden's spec for what the reference's build_abp was called with. */
function wardenSpec(v: AbpVector): AbpSpecInput {
  return {
    ...v.spec,
    ...(v.clock === null ? {} : { created_at: v.clock }),
    ...(v.effective_at === null ? {} : { effective_at: v.effective_at }),
    ...(v.expires_at === null ? {} : { expires_at: v.expires_at }),
    ...(v.parent === null
      ? {}
      : { composition: { parent_abp_id: v.parent[0], parent_abp_hash: v.parent[1], children: [] } }),
  };
}

describe('ABP canonical JSON against the reference tooling', () => {
  it('covers what the reference rewrites', () => {
    const names = vectors.canonical.map((v) => v.name).join('\n');
    for (const topic of [
      '.25Z',
      '+02:30',
      "T00:00:00'",
      'string',
      'CR',
      'code point',
      '1e21',
      '0.30000000000000004',
      'random doubles',
      'nested arrays',
    ]) {
      expect(names).toContain(topic);
    }
    expect(vectors.canonical.length).toBeGreaterThan(100);
  });

  it.each(vectors.canonical.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const text = abpCanonicalJson(JSON.parse(v.input_json));
    expect(text).toBe(v.canonical);
    expect(sha256Hex(text)).toBe(v.sha256);
  });

  it('stores the normal form: it canonicalises to the same text and is its own normal form', () => {
    for (const v of vectors.canonical) {
      const normal = referenceNormalForm(JSON.parse(v.input_json));
      expect(abpCanonicalJson(normal)).toBe(v.canonical);
      expect(referenceNormalForm(normal)).toEqual(normal);
    }
  });
});

describe('ABP id and hash against the reference tooling', () => {
  it('covers fractions, offsets, a zone-less clock, non-ASCII, CR/LF, floats, nested arrays and delegation_review both ways', () => {
    const names = vectors.abps.map((v) => v.name).join('\n');
    for (const topic of [
      'millisecond clock',
      'fractional effective_at',
      'offset',
      'without a zone',
      'non-ASCII',
      'CR/LF',
      'floats',
      'nested arrays',
      'no delegation_review',
      'with delegation_review',
    ]) {
      expect(names).toContain(topic);
    }
  });

  it.each(vectors.abps.map((v) => [v.name, v] as const))('recomputes the reference ABP: %s', (_name, v) => {
    const abp = JSON.parse(v.abp_json);
    expect(abpCanonicalJson({ scope: abp.scope, authority_ref: abp.authority_ref, created_at: abp.created_at })).toBe(
      v.id_seed_canonical,
    );
    expect(abpCanonicalJson({ ...abp, hash: '' })).toBe(v.hash_canonical);
    expect(computeAbpId(abp.scope, abp.authority_ref, abp.created_at)).toBe(v.abp_id);
    expect(computeAbpHash(abp)).toBe(v.hash);
    if (AbpSchema.safeParse(abp).success)
      expect(checkAbpIdentity(abp)).toMatchObject({ idMatches: true, hashMatches: true });
  });

  it.each(vectors.abps.filter((v) => /(Z|[+-]\d\d:\d\d)$/.test(v.clock ?? '')).map((v) => [v.name, v] as const))(
    'Warden builds the same id and hash from the same input: %s',
    (_name, v) => {
      const abp = buildAbp(wardenSpec(v), '2030-01-01T00:00:00.123Z');
      expect(abp.abp_id).toBe(v.abp_id);
      expect(abp.hash).toBe(v.hash);
      // Stored in the normal form, timestamps at whole seconds in UTC: what is stored is what is hashed.
      expect(referenceNormalForm(abp)).toEqual(abp);
      for (const t of [abp.created_at, abp.effective_at, ...(abp.expires_at ? [abp.expires_at] : [])])
        expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    },
  );

  it('refuses a zone-less created_at (the reference reads it in the local zone of whoever verifies)', () => {
    const v = vectors.abps.find((x) => x.name === 'clock without a zone')!;
    expect(() => buildAbp(wardenSpec(v), '2030-01-01T00:00:00Z')).toThrow(AbpSpecError);
  });
});

describe('ABPs Warden builds pass the verifier rules as Warden implements them', () => {
  it('built with the default clock, with fractional and offset timestamps, patched and replaced', () => {
    const { created_at: _c, ...spec } = demoAbpSpec();
    const byDefault = buildAbp(spec, '2026-11-30T00:53:46.123Z');
    const explicit = buildAbp(
      {
        ...spec,
        created_at: '2026-11-30T01:53:46.5+01:00',
        effective_at: '2026-12-01T00:00:00.25Z',
        expires_at: '2027-12-01T05:30:00.999+05:30',
      },
      DEMO_CLOCK,
    );
    const patched = patchAbp(byDefault, {
      effective_at: '2026-12-24T00:00:00.75-02:00',
      objectives: { ...byDefault.objectives, allowed: [{ id: 'OBJ-010', description: 'Résumé — 日本語 😀\r\nnext' }] },
    });
    const replaced = buildAbp({ ...spec, scope: { ...spec.scope, program: 'REPLACED' } }, '2026-12-02T10:11:12.999Z');
    for (const abp of [byDefault, explicit, patched, replaced]) {
      const gates = gateExport(
        {
          export_id: 'x',
          module: abp.scope.modules[0],
          stamp: 1,
          stamped_at: DEMO_CLOCK,
          status: 'active',
          abp: JSON.parse(JSON.stringify(abp)),
        },
        abp.hash,
      );
      expect(gates.filter((g) => !g.passed)).toEqual([]);
      expect(abp.created_at).toMatch(/T\d\d:\d\d:\d\dZ$/);
      expect(abp.effective_at).toMatch(/T\d\d:\d\d:\d\dZ$/);
    }
    expect(patched).toMatchObject({ abp_id: byDefault.abp_id, effective_at: '2026-12-24T02:00:00Z' });
    expect(patched.objectives.allowed[0]!.description).toBe('Résumé — 日本語 😀\nnext');
  });
});
