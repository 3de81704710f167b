import type { GatewayTarget } from '../domain/gateways/gateway-target';
import { toolCallAction, type GatewayToolCall } from '../domain/gateways/tool-call-action';
import type { CheckCaller } from './action-check';
import type { WardenContext } from './context';
import { checkAbpAction, showAbp } from './delegation';

export interface ToolCallVerdict<T extends GatewayToolCall> {
  call: T;
  allowed: boolean;
  /** The failed validators' details, or why the call could not be checked at all. */
  reason: string | null;
  /** The recorded action check (absent when no ABP was named or it could not be found). */
  checkId: string | null;
}

/**
 * Every tool call a model returned, checked against the agent's current ABP as an action, the
 * verdict recorded exactly as `warden action check` records it (provenance, escalations, trigger
 * re-evaluation after a blocked irreversible action). Without a named, current ABP nothing can be
 * checked and every call is denied: a gateway fails closed.
 */
export async function gateToolCalls<T extends GatewayToolCall>(
  ctx: WardenContext,
  target: GatewayTarget,
  calls: readonly T[],
  referencePrefix: string,
  caller: CheckCaller = {},
): Promise<ToolCallVerdict<T>[]> {
  if (calls.length === 0) return [];
  const unchecked = (reason: string) => calls.map((call) => ({ call, allowed: false, reason, checkId: null }));
  if (!target.abp) return unchecked(`no ABP is named for agent ${target.agent}: its tool calls cannot be checked`);
  const view = await showAbp(ctx, target.abp);
  const hash = (view.abp as { hash?: unknown }).hash;
  if (view.status !== 'active' || typeof hash !== 'string') return unchecked(`ABP ${target.abp} is ${view.status}`);
  const verdicts: ToolCallVerdict<T>[] = [];
  for (const [i, call] of calls.entries()) {
    const record = await checkAbpAction(
      ctx,
      view.abpId,
      toolCallAction(target, hash, call, `${referencePrefix}/${call.id ?? i}`),
      { caller },
    );
    const failed = record.results.filter((r) => !r.passed);
    verdicts.push({
      call,
      allowed: record.allowed,
      reason: record.allowed ? null : failed.map((r) => `${r.name}: ${r.detail}`).join('; ') || record.decision,
      checkId: record.checkId,
    });
  }
  return verdicts;
}

/** One line for a caller: which calls were denied and why. */
export function denialReason(denied: readonly ToolCallVerdict<GatewayToolCall>[]): string {
  return denied.map((v) => `Warden denied tool call ${v.call.function.name}: ${v.reason}`).join('\n');
}
