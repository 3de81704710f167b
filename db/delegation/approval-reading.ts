import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import { principalName, type Principal } from '../access/principals';
import type { ReviewOutputKind } from '../../domain/delegation/schema';
import { CURRENT_SELECT, currentOf, FOLLOW_ALIAS_OF, type CurrentAbp, type CurrentRow } from './abps';
import type { ExportRow } from './exports';
import { REVIEW_COLUMNS, reviewOf, type ReviewRow, type ReviewRowColumns } from './reviews';
import type { StoredOutput } from './review-outputs';

/**
 * What each step of an approval reads before it checks anything (the client's dry-run, the vote,
 * the apply): the review, the principal with their roles, the output named for it, the ABP it
 * governs as it is now (its current pointer, alias followed) and that ABP's export rows. One
 * statement where these were five round trips; each step still reads them itself and trusts no
 * step before it. The values are those findReview, findPrincipal, findOutput, findCurrentByAbpId
 * and listExports return.
 */
export interface ApprovalReading {
  review: ReviewRow | undefined;
  /** Undefined when no principal was asked for, or when it is unknown. */
  principal: Principal | undefined;
  /** Undefined when no output hash was asked for, or when none is stored under it. */
  output: StoredOutput | undefined;
  current: CurrentAbp | undefined;
  exports: ExportRow[];
}

interface Row extends ReviewRowColumns {
  principal_name: string | null;
  principal_roles: string[] | null;
  output_kind: ReviewOutputKind | null;
  output_document: unknown;
  output_authored_by: string | null;
  // Its own column (not inside JSON) so that the driver parses it as findOutput's does: a
  // replacement's clock, and so its id, depends on it to the millisecond.
  output_created_at: Date | null;
  current: CurrentRow | null;
  exports: ExportRowJson[];
}

/** An export row as json_agg gives it: stamped_at already ISO-8601 text, as camelRow makes it. */
interface ExportRowJson {
  export_id: string;
  module: string;
  abp_id: string;
  abp_hash: string;
  file_name: string;
  stamp: number;
  stamped_at: string;
}

const SQL = `SELECT r.*,
    p.name AS principal_name, p.roles AS principal_roles,
    o.kind AS output_kind, o.document AS output_document, o.authored_by AS output_authored_by, o.created_at AS output_created_at,
    (SELECT row_to_json(c) FROM (${CURRENT_SELECT} WHERE c.abp_id = ${FOLLOW_ALIAS_OF('r.abp_id')}) c) AS current,
    (SELECT coalesce(json_agg(e ORDER BY e.export_id), '[]'::json) FROM (
       SELECT export_id, module, abp_id, abp_hash, file_name, stamp,
              to_char(stamped_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS stamped_at
         FROM abp_exports WHERE abp_id = r.abp_id) e) AS exports
  FROM (SELECT ${REVIEW_COLUMNS} FROM delegation_reviews WHERE review_id = $1) r
  LEFT JOIN (SELECT pr.name, array_agg(pr_r.role ORDER BY pr_r.role) FILTER (WHERE pr_r.role IS NOT NULL) AS roles
               FROM principals pr LEFT JOIN principal_roles pr_r ON pr_r.principal = pr.name
              WHERE pr.name = $2 GROUP BY pr.name) p ON true
  LEFT JOIN delegation_review_outputs o ON o.review_id = r.review_id AND o.output_hash = $3`;

/** Reads an approval's review, principal, output, current ABP and export rows in one statement. */
export async function readApproval(
  q: Queryable,
  input: { reviewId: string; principal?: string; outputHash?: string },
): Promise<ApprovalReading> {
  // A name the principals table cannot hold names nobody (as findPrincipal has it).
  const principal = input.principal !== undefined && principalName.safeParse(input.principal).success;
  const { rows } = await q.query<Row>(SQL, [
    input.reviewId,
    principal ? input.principal : null,
    input.outputHash ?? null,
  ]);
  const row = rows[0];
  if (!row) return { review: undefined, principal: undefined, output: undefined, current: undefined, exports: [] };
  const {
    principal_name,
    principal_roles,
    output_kind,
    output_document,
    output_authored_by,
    output_created_at,
    current,
    exports,
    ...review
  } = row;
  return {
    review: reviewOf(review),
    principal: principal_name === null ? undefined : { name: principal_name, roles: principal_roles ?? [] },
    output:
      output_kind === null
        ? undefined
        : camelRow({
            kind: output_kind,
            document: output_document,
            authored_by: output_authored_by!,
            created_at: output_created_at!,
          }),
    current: current ? currentOf(current) : undefined,
    exports: exports.map((e) => camelRow(e)),
  };
}
