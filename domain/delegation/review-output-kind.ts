import { z } from 'zod';
import { REVIEW_OUTPUT_KINDS } from './review-output-kinds';

/**
 * What an approved review does to its ABP. A module of its own because the review workflow's
 * contract validates it: importing it from schema.ts made every workflow run of the bundle build
 * the whole ABP schema (a tenth of the worker's workflow-thread CPU in the review benchmark, and
 * part of what each cached workflow holds).
 */
export const ReviewOutputKindSchema = z.enum(REVIEW_OUTPUT_KINDS);
export type ReviewOutputKind = z.infer<typeof ReviewOutputKindSchema>;
