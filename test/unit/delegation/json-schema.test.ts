import { describe, expect, it } from 'vitest';
import { abpJsonSchema } from '../../../domain/delegation/json-schema';

type Node = Record<string, any>;

/**
 * The original abp_v1.json, summarised path by path (required fields, patterns, enums, nullable
 * types). The exported schema must say exactly the same.
 */
const REQUIRED: Record<string, string[]> = {
  '': [
    'abp_version',
    'abp_id',
    'scope',
    'authority_ref',
    'objectives',
    'tools',
    'data',
    'approvals',
    'escalation',
    'runtime',
    'proof',
    'composition',
    'effective_at',
    'expires_at',
    'created_at',
    'hash',
  ],
  scope: ['contract_id', 'program', 'modules'],
  authority_ref: ['authority_entry_id', 'authority_entry_hash', 'authority_ledger_path'],
  objectives: ['allowed', 'denied'],
  'objectives.allowed[]': ['id', 'description'],
  'objectives.denied[]': ['id', 'description', 'reason'],
  tools: ['allow', 'deny'],
  'tools.allow[]': ['name', 'scope'],
  'tools.deny[]': ['name', 'reason'],
  data: ['permissions'],
  'data.permissions[]': ['resource', 'operations', 'roles', 'sensitivity'],
  approvals: ['required'],
  'approvals.required[]': ['action', 'approver_role', 'threshold', 'timeout_ms'],
  escalation: ['paths'],
  'escalation.paths[]': ['trigger', 'destination', 'severity', 'auto'],
  runtime: ['validators'],
  'runtime.validators[]': ['name', 'when', 'fail_action', 'config'],
  proof: ['required'],
  composition: ['parent_abp_id', 'parent_abp_hash', 'children'],
  'composition.children[]': ['abp_id', 'abp_hash'],
  delegation_review: ['triggers', 'review_policy'],
  'delegation_review.triggers[]': ['id', 'name', 'condition', 'severity', 'auto_open'],
  'delegation_review.review_policy': ['approver_role', 'threshold', 'timeout_ms', 'output'],
};

const ENUMS: Record<string, string[]> = {
  'data.permissions[].operations[]': ['read', 'write', 'delete'],
  'data.permissions[].sensitivity': ['public', 'internal', 'confidential', 'restricted'],
  'escalation.paths[].severity': ['info', 'warn', 'critical'],
  'runtime.validators[].when': ['pre_action', 'post_action', 'periodic'],
  'runtime.validators[].fail_action': ['block', 'warn', 'escalate', 'degrade'],
  'proof.required[]': ['seal', 'manifest', 'pack_hash', 'episode_log', 'transparency_log', 'authority_ledger'],
  'delegation_review.triggers[].severity': ['warn', 'critical'],
  'delegation_review.review_policy.output': ['abp_patch', 'abp_replace', 'abp_revoke'],
};

const PATTERNS: Record<string, string> = {
  abp_id: '^ABP-[a-f0-9]{8}$',
  'authority_ref.authority_entry_id': '^AUTH-[a-f0-9]{8}$',
  'authority_ref.authority_entry_hash': '^sha256:[a-f0-9]{64}$',
  'delegation_review.triggers[].id': '^DRT-[0-9]{3}$',
};

const NULLABLE_STRINGS = [
  'scope.contract_id',
  'scope.program',
  'authority_ref.authority_ledger_path',
  'tools.allow[].scope',
  'composition.parent_abp_id',
  'composition.parent_abp_hash',
  'expires_at',
];

function walk(node: Node, path: string, visit: (path: string, node: Node) => void): void {
  visit(path, node);
  for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
    walk(child, path === '' ? key : `${path}.${key}`, visit);
  }
  if (node.items) walk(node.items as Node, `${path}[]`, visit);
}

describe('ABP JSON Schema export', () => {
  const schema = abpJsonSchema();
  const nodes = new Map<string, Node>();
  walk(schema, '', (p, n) => nodes.set(p, n));

  it('is draft 2020-12', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('has the original required fields and closes every object', () => {
    for (const [path, required] of Object.entries(REQUIRED)) {
      const node = nodes.get(path);
      expect(node, path).toBeDefined();
      expect([...(node!.required as string[])].sort(), path).toEqual([...required].sort());
      expect(node!.additionalProperties, path).toBe(false);
    }
    expect(nodes.get('')!.required).not.toContain('delegation_review');
  });

  it('has the original enums, patterns and nullable strings', () => {
    for (const [path, values] of Object.entries(ENUMS)) expect(nodes.get(path)?.enum, path).toEqual(values);
    for (const [path, pattern] of Object.entries(PATTERNS)) expect(nodes.get(path)?.pattern, path).toBe(pattern);
    for (const path of NULLABLE_STRINGS) expect(nodes.get(path)?.type, path).toEqual(['string', 'null']);
    expect(nodes.get('abp_version')?.const).toBe('1.0');
  });

  it('spells date-times, integers and free-form maps as the original does', () => {
    expect(nodes.get('created_at')).toEqual({ type: 'string', format: 'date-time' });
    expect(nodes.get('expires_at')).toEqual({ type: ['string', 'null'], format: 'date-time' });
    expect(nodes.get('runtime.validators[].config')).toEqual({ type: 'object' });
    expect(nodes.get('delegation_review.triggers[].condition')).toEqual({ type: 'object' });
    expect(nodes.get('delegation_review.review_policy.threshold')).toEqual({ type: 'integer', minimum: 1 });
    expect(nodes.get('approvals.required[].timeout_ms')).toEqual({ type: ['integer', 'null'] });
    expect(nodes.get('delegation_review.review_policy.timeout_ms')).toEqual({ type: ['integer', 'null'] });
  });
});
