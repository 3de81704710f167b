import { guardrailCheck } from '../../client/litellm-guardrail';
import { guardrailRequestSchema, guardrailTarget } from '../../domain/gateways/litellm-guardrail-request';
import { InvalidRequest } from '../invalid-request';
import type { ApiRequest, Route } from '../route';
import type { WardenContext } from '../../client/context';

async function check(ctx: WardenContext, req: ApiRequest) {
  const body = guardrailRequestSchema.parse(req.body);
  const target = guardrailTarget(body);
  if (!target.success) {
    throw new InvalidRequest(
      target.error.issues.map((i) => ({
        field: `additional_provider_specific_params.${String(i.path[0] ?? 'agent')}`,
        message: i.message,
      })),
    );
  }
  return guardrailCheck(ctx, target.data, body);
}

/**
 * LiteLLM's Generic Guardrail API (docs/litellm-guardrail.md): LiteLLM appends
 * `/beta/litellm_basic_guardrail_api` to the guardrail's api_base and sends its api_key as
 * `x-api-key` (a Warden API token; Bearer works too). `/guardrail/check` is the path ct-toolkit's
 * server used, for configurations written against it.
 */
export const liteLlmGuardrailRoutes: Route[] = ['/beta/litellm_basic_guardrail_api', '/guardrail/check'].map(
  (path) => ({
    method: 'POST' as const,
    path,
    summary:
      "LiteLLM Generic Guardrail API: kernel-anchor checks on prompts, exchanges recorded for shadows, tool calls checked against the agent's ABP",
    bodySchema: guardrailRequestSchema,
    handler: check,
  }),
);
