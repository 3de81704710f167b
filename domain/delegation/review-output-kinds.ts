/**
 * The outputs an approved review can apply, as a plain list: the zod enum at the boundaries
 * (review-output-kind.ts) and the review workflow's own validator (which must not load zod) read it.
 */
export const REVIEW_OUTPUT_KINDS = ['abp_patch', 'abp_replace', 'abp_revoke'] as const;
