import { z } from 'zod';
import { FREE_TEXT_BYTES, KEY_TEXT_BYTES, storableText } from '../input/storable-text';
import { gatewayTargetSchema } from './gateway-target';

/**
 * `POST /api/v1/gateway/exchanges`: one exchange an agent's own model answered, sent by an SDK
 * middleware (warden/ai-sdk) once the model has answered: the caller's last turn, the answer's
 * text and the tool calls it asks for. Warden checks the calls against the agent's ABP and records
 * the exchange for every staged change's shadow.
 */
export const sdkExchangeRequestSchema = gatewayTargetSchema.extend({
  prompt: storableText(FREE_TEXT_BYTES),
  content: storableText(FREE_TEXT_BYTES).default(''),
  toolCalls: z
    .array(
      z.strictObject({
        id: storableText(KEY_TEXT_BYTES).min(1).max(200),
        name: storableText(KEY_TEXT_BYTES).min(1).max(200),
        arguments: storableText(FREE_TEXT_BYTES).default(''),
      }),
    )
    .max(128)
    .default([]),
  /** The middleware's id for this model call: a retried report records one verdict per tool call. */
  callId: storableText(KEY_TEXT_BYTES).min(1).max(120).optional(),
  /** The model that answered, as the caller names it (recorded with the exchange). */
  model: storableText(KEY_TEXT_BYTES).min(1).max(200).default('ai-sdk'),
});

export type SdkExchangeRequest = z.output<typeof sdkExchangeRequestSchema>;

/** What the middleware hands its caller: the answer's text with refusals added, and each call's verdict. */
export interface SdkExchangeVerdict {
  agent: string;
  exchangeId: string | null;
  kernelVersion: number;
  shadowSamples: number;
  /** The answer's text as the caller gets it: the model's, then one refusal line per denied call. */
  content: string;
  /** Refusal lines only (empty when every call was allowed), for a stream that already sent the text. */
  refusal: string;
  toolCalls: { id: string; name: string; allowed: boolean; reason: string | null; checkId: string | null }[];
}
