import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Warden's custom search attributes. The dev server registers them at start (see
 * `searchAttributeFlags`); against an existing cluster the start command checks they exist.
 */
export const WardenKind = defineSearchAttributeKey('WardenKind', SearchAttributeType.KEYWORD);
export const WardenState = defineSearchAttributeKey('WardenState', SearchAttributeType.KEYWORD);
export const AgentId = defineSearchAttributeKey('AgentId', SearchAttributeType.KEYWORD);
export const AbpId = defineSearchAttributeKey('AbpId', SearchAttributeType.KEYWORD);
export const TriggerId = defineSearchAttributeKey('TriggerId', SearchAttributeType.KEYWORD);
export const PolicyId = defineSearchAttributeKey('PolicyId', SearchAttributeType.KEYWORD);
export const Severity = defineSearchAttributeKey('Severity', SearchAttributeType.KEYWORD);

export const wardenSearchAttributes = [WardenKind, WardenState, AgentId, AbpId, TriggerId, PolicyId, Severity] as const;

export type WardenWorkflowKind = 'endorsement' | 'review' | 'proposal' | 'monitor' | 'notification';
