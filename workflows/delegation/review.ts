import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import type { ReviewStart, ReviewStatus } from './contract';
import { approveReviewUpdate, dismissReviewUpdate, reviewStatusQuery } from './review-messages';
import { ReviewMachine } from './review-machine';

/**
 * One delegation review: opened by a tripped trigger (or a person), it collects approvals and a
 * dismissal as Updates, applies the winning output, or times out after the policy's timeout_ms
 * (none when null) and fires the ABP's escalation paths. Workflow id = review id. The state
 * machine is ReviewMachine; this wires its handlers and waits for its main line.
 */
export async function delegationReviewWorkflow(start: ReviewStart): Promise<ReviewStatus> {
  const review = new ReviewMachine(start);
  setHandler(reviewStatusQuery, () => review.status());
  setHandler(approveReviewUpdate, (input) => review.approve(input), {
    validator: (input) => review.validateApproval(input),
  });
  setHandler(dismissReviewUpdate, (input) => review.dismiss(input), {
    validator: (input) => review.validateDismissal(input),
  });

  await review.run();
  await condition(allHandlersFinished);
  return review.status();
}
