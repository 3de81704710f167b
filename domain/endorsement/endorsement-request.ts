import { FREE_TEXT_BYTES, KEY_TEXT_BYTES, LINE_TEXT_BYTES, storableText } from '../input/storable-text';
import { timerSeconds } from '../input/timer-duration';

/**
 * The fields people send to the endorsement loop, shared by the HTTP routes, the client and the
 * registration activity, so that what is accepted at the door is what the tables and the workflow
 * accept later (a rule the database refuses would otherwise start a workflow that cannot register).
 */
export const ruleTextSchema = storableText(LINE_TEXT_BYTES)
  .trim()
  .min(1, 'must not be empty')
  .max(2000, 'at most 2000 characters');
/** A commitment's new value: stored in the kernel version like the rule. */
export const commitmentValueSchema = storableText(LINE_TEXT_BYTES)
  .trim()
  .min(1, 'must not be empty')
  .max(2000, 'at most 2000 characters');
export const commitmentIdSchema = storableText(KEY_TEXT_BYTES)
  .min(1, 'must not be empty')
  .max(200, 'at most 200 characters');
export const rationaleSchema = storableText(LINE_TEXT_BYTES).max(2000, 'at most 2000 characters');
export const operatorPrincipalSchema = storableText(KEY_TEXT_BYTES).trim().min(1, 'required (pass --as <principal>)');
export const chatMessageSchema = storableText(FREE_TEXT_BYTES)
  .trim()
  .min(1, 'must not be empty')
  .max(8000, 'at most 8000 characters');
/** How much longer a cooldown runs (a timer: at most 100 years). */
export const extendSecondsSchema = timerSeconds(1);
