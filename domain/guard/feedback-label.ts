import { z } from 'zod';

export const FEEDBACK_LABELS = ['safe', 'unsafe', 'false_positive', 'false_negative'] as const;
export type FeedbackLabel = (typeof FEEDBACK_LABELS)[number];
export const feedbackLabelSchema = z.enum(FEEDBACK_LABELS, {
  error: `label must be one of ${FEEDBACK_LABELS.join(', ')}`,
});
