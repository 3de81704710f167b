import { randomUUID } from 'node:crypto';
import { settleSdkExchange } from '../../client/gateway-exchange';
import { sdkExchangeRequestSchema } from '../../domain/gateways/sdk-exchange-request';
import type { Route } from '../route';

/**
 * The SDK middlewares' gateway (docs/ai-sdk.md): an exchange the agent's own model answered, its
 * tool calls checked against the agent's ABP and the exchange queued for every staged change's
 * shadow. An open action behind a token, as the other gateways' routes are.
 */
export const gatewayExchangeRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/v1/gateway/exchanges',
    summary:
      "An SDK middleware's exchange: tool calls checked against the agent's ABP, the exchange queued for shadows",
    bodySchema: sdkExchangeRequestSchema,
    // The exchange's record and its tool calls' checks re-validate a cached token (client/gateway-exchange.ts).
    revalidatesToken: true,
    async handler(ctx, req) {
      const body = sdkExchangeRequestSchema.parse(req.body);
      const caller = req.tokenId ? { tokenId: req.tokenId } : {};
      return settleSdkExchange(ctx, body, body, `ai-sdk/${body.agent}/${body.callId ?? randomUUID()}`, caller);
    },
  },
];
