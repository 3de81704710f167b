import { z } from 'zod';
import { describeIssues } from '../input/field-issues';
import { JSON_DOCUMENT_BYTES, jsonStorageIssues } from '../input/storable-json';
import { storableText } from '../input/storable-text';
import { canonicalDigest } from './digest';
import { checkPatchDocument } from './patch';
import { AbpSpecSchema, type ReviewOutputKind } from './schema';
import { AbpSpecError } from './errors';

/**
 * What an approval names: the output kind and its document. abp_patch carries a JSON Merge Patch,
 * abp_replace a full ABP spec (a new id follows), abp_revoke a reason. Approvals only count
 * together when they name the same output, compared by `outputHash`.
 */
export type ReviewOutput =
  | { kind: 'abp_patch'; document: Record<string, unknown> }
  | { kind: 'abp_replace'; document: Record<string, unknown> }
  | { kind: 'abp_revoke'; document: { reason: string } };

/** Why a reviewer votes as they do: stored with the vote. */
export const ReviewReasonSchema = storableText().trim().min(1, 'required').max(2000, 'at most 2000 characters');

const RevokeDocumentSchema = z.strictObject({
  reason: storableText().trim().min(1, 'a revocation needs a reason').max(2000),
});

/**
 * Validates an output document for its kind; throws AbpSpecError naming the field. Whatever the
 * kind, the document is stored (jsonb) and carried in a Temporal Update: it must be storable.
 */
export function parseReviewOutput(kind: ReviewOutputKind, document: unknown): ReviewOutput {
  const storage = jsonStorageIssues(document, { maxBytes: JSON_DOCUMENT_BYTES });
  if (storage.length > 0) throw new AbpSpecError(describeIssues(storage, { whole: '(document)' }));
  switch (kind) {
    case 'abp_patch': {
      const problems = checkPatchDocument(document);
      if (problems.length > 0) throw new AbpSpecError(problems);
      return { kind, document: document as Record<string, unknown> };
    }
    case 'abp_replace': {
      const parsed = AbpSpecSchema.safeParse(document);
      if (!parsed.success) throw new AbpSpecError(describeIssues(parsed.error.issues, { whole: '(document)' }));
      return { kind, document: document as Record<string, unknown> };
    }
    case 'abp_revoke': {
      const parsed = RevokeDocumentSchema.safeParse(document);
      if (!parsed.success) throw new AbpSpecError(describeIssues(parsed.error.issues, { whole: '(document)' }));
      return { kind, document: parsed.data };
    }
  }
}

export function reviewOutputHash(output: ReviewOutput): string {
  return canonicalDigest({ kind: output.kind, document: output.document });
}
