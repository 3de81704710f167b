import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAbpFromSpec, checkAbpAction } from '../../../client/delegation';
import { listProvenance } from '../../../db/provenance/log';
import { cliEnv, runCli } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { unique, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('enforced-escalation');
const call = useApiServer(ctx);

/** An ABP that declares the envelope check with escalate, and an escalation path for it. */
async function escalatingAbp() {
  const spec = uniqueSpec();
  return (
    await buildAbpFromSpec(
      ctx,
      {
        ...spec,
        escalation: {
          paths: [
            ...spec.escalation!.paths,
            { trigger: 'authority_envelope_complete', destination: 'security-desk', severity: 'critical', auto: true },
          ],
        },
        runtime: {
          validators: [
            { name: 'authority_envelope_complete', when: 'pre_action', fail_action: 'escalate', config: {} },
          ],
        },
      },
      await testAdmin(ctx),
    )
  ).abp;
}

const deniedEmail = (abpHash: string) => ({
  action_id: unique('email'),
  agent_id: 'recruiter-bot',
  abp_hash: abpHash,
  objective: 'OBJ-004',
  tool: 'email.send_external',
  data: [],
  role: 'agent',
  irreversible: false,
});

async function escalationsOf(checkId: string) {
  return (
    await ctx.pool.query(
      'SELECT trigger_name, destination, severity FROM delegation_escalations WHERE reference = $1',
      [checkId],
    )
  ).rows;
}

describe('an always-enforced validator declared with escalate', () => {
  it('blocks the action and fires its escalation path: client, HTTP and CLI', async () => {
    const abp = await escalatingAbp();
    const fired = [{ trigger_name: 'authority_envelope_complete', destination: 'security-desk', severity: 'critical' }];

    const direct = await checkAbpAction(ctx, abp.abp_id, deniedEmail(abp.hash));
    expect(direct).toMatchObject({
      decision: 'blocked',
      allowed: false,
      escalations: [{ validator: 'authority_envelope_complete', destination: 'security-desk' }],
    });
    expect(await escalationsOf(direct.checkId)).toEqual(fired);
    const entries = await listProvenance(ctx.pool, { subject: `abp:${abp.abp_id}`, kind: 'abp.escalated', limit: 10 });
    expect(entries.map((e) => e.payload)).toEqual([
      expect.objectContaining({ reference: direct.checkId, destination: 'security-desk', severity: 'critical' }),
    ]);

    const http = await call('POST', `/api/v1/abps/${abp.abp_id}/actions/check`, deniedEmail(abp.hash));
    expect(http).toMatchObject({
      status: 200,
      body: { decision: 'blocked', escalations: [{ destination: 'security-desk' }] },
    });
    expect(await escalationsOf(http.body.checkId)).toEqual(fired);

    const file = join(ctx.config.dataDir, `${unique('email')}.json`);
    await writeFile(file, JSON.stringify(deniedEmail(abp.hash)));
    const cli = await runCli(['action', 'check', abp.abp_id, '--action', file, '--json'], cliEnv(ctx));
    expect(cli.code).toBe(1);
    expect(cli.json).toMatchObject({ decision: 'blocked', escalations: [{ destination: 'security-desk' }] });
    expect(await escalationsOf(cli.json.checkId)).toEqual(fired);

    // Inside the envelope nothing blocks and nothing escalates.
    const read = await checkAbpAction(ctx, abp.abp_id, {
      ...deniedEmail(abp.hash),
      objective: 'OBJ-001',
      tool: 'ats.read',
    });
    expect(read).toMatchObject({ decision: 'allowed', escalations: [] });
    expect(await escalationsOf(read.checkId)).toEqual([]);
  });
});
