import { z } from 'zod';
import { findCurrentByAbpId, findVersionDocument, listVersions, type AbpVersion } from '../db/delegation/abps';
import { findReview } from '../db/delegation/reviews';
import { jsonDiff, type JsonChange } from '../domain/delegation/abp-diff';
import { invalid, notFound } from '../domain/errors';
import { int4 } from '../domain/input/storable-int';
import type { WardenContext } from './context';

/** One side of a diff: the version's number among its ABP's versions (null when not listed there) and hash. */
export interface DiffSide {
  abpId: string;
  number: number | null;
  hash: string;
  recordedAt: string | null;
  source: string | null;
}

/** Field by field, one stored ABP version against another: the diff the approval dry run shows. */
export interface AbpVersionDiff {
  from: DiffSide;
  to: DiffSide;
  diff: JsonChange[];
}

/** `--from N --to M` as a query string or flags: version numbers from 1; both optional. */
export const versionRangeSchema = z.object({
  from: z.coerce.number({ error: 'a version number' }).pipe(int4(1)).optional(),
  to: z.coerce.number({ error: 'a version number' }).pipe(int4(1)).optional(),
});
export type VersionRange = z.input<typeof versionRangeSchema>;

async function diffOf(ctx: WardenContext, from: DiffSide, to: DiffSide): Promise<AbpVersionDiff> {
  const [before, after] = await Promise.all([
    findVersionDocument(ctx.pool, from.hash),
    findVersionDocument(ctx.pool, to.hash),
  ]);
  return { from, to, diff: jsonDiff(before, after) };
}

const side = (abpId: string, versions: AbpVersion[], hash: string): DiffSide => {
  const v = versions.find((x) => x.hash === hash);
  return { abpId, number: v?.number ?? null, hash, recordedAt: v?.recordedAt ?? null, source: v?.source ?? null };
};

/**
 * `warden abp diff <abp> --from N --to M`: two versions of an ABP by number. `to` defaults to the
 * current version (the newest when it has none), `from` to the version before `to`.
 */
export async function abpVersionDiff(
  ctx: WardenContext,
  abpId: string,
  range: VersionRange = {},
): Promise<AbpVersionDiff> {
  const r = versionRangeSchema.parse(range);
  const versions = await listVersions(ctx.pool, abpId);
  if (versions.length === 0) throw notFound(`ABP ${abpId}`);
  const current = await findCurrentByAbpId(ctx.pool, abpId);
  const id = current?.abpId ?? abpId;
  const pick = (n: number, field: 'from' | 'to') => {
    const v = versions[n - 1];
    if (!v) throw invalid(`${field}: ${id} has versions 1 to ${versions.length}, not ${n}`);
    return v;
  };
  const to =
    r.to !== undefined ? pick(r.to, 'to') : (versions.find((v) => v.hash === current?.abpHash) ?? versions.at(-1)!);
  const from = pick(r.from ?? Math.max(1, to.number - 1), 'from');
  return diffOf(ctx, side(id, versions, from.hash), side(id, versions, to.hash));
}

/**
 * A review's version diff: the ABP version it was opened on against the one its approval applied
 * (a patch or a replacement), or, before that, the ABP's current version.
 */
export async function reviewVersionDiff(ctx: WardenContext, reviewId: string): Promise<AbpVersionDiff> {
  const review = await findReview(ctx.pool, reviewId);
  if (!review) throw notFound(`review ${reviewId}`);
  const applied = (review.outcome as { next?: { abpId: string; abpHash: string } } | null)?.next;
  const current = applied ? undefined : await findCurrentByAbpId(ctx.pool, review.abpId);
  const toId = applied?.abpId ?? current?.abpId ?? review.abpId;
  const toHash = applied?.abpHash ?? current?.abpHash ?? review.abpHash;
  const [fromVersions, toVersions] = await Promise.all([
    listVersions(ctx.pool, review.abpId),
    toId === review.abpId ? null : listVersions(ctx.pool, toId),
  ]);
  return diffOf(ctx, side(review.abpId, fromVersions, review.abpHash), side(toId, toVersions ?? fromVersions, toHash));
}
