import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ingestEvidence } from '../../client/delegation';
import { showReview } from '../../client/delegation-reviews';
import { chat, endorseRule } from '../../client/endorsement';
import { ingestFeedback, proposeCalibrationUpdate } from '../../client/guard';
import { addPrincipal } from '../../db/access/principals';
import { findReview } from '../../db/delegation/reviews';
import { createApiToken } from '../../db/access/api-tokens';
import { buildUniqueAbp, uniqueSpec, unique } from '../integration/delegation/fixtures';
import { BENIGN, SEED_RULE, freshAgent } from '../integration/endorsement/helpers';
import {
  SEED_POLICY,
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  toNdjson,
  uniqueSuffix,
  type GuardPeople,
} from '../integration/guard/guard-fixtures';
import { useBrowser } from '../support/browser';
import { useIntegrationContext } from '../support/integration';
import { testAdmin } from '../support/principals';

const ctx = useIntegrationContext('browser');
const b = useBrowser(ctx);

const reviewer = unique('reviewer');
const viewer = unique('viewer');
let admin = '';
const tokens: Record<string, string> = {};
let abpId = '';
let reviewId = '';
let endorsementId = '';
let proposalId = '';
let people: GuardPeople;

const driftRows = (abp: string, key: string, times: Date[]) =>
  times
    .map((t) =>
      JSON.stringify({
        abp_id: abp,
        type: 'verify',
        severity: 'red',
        fingerprint: { key, version: 'v1' },
        observed_at: t.toISOString(),
      }),
    )
    .join('\n');

beforeAll(async () => {
  // The demo ABP's review policy names the Reviewer role, endorsements need the agent's operator
  // role; the viewer holds none of them.
  await addPrincipal(ctx.pool, reviewer, ['Reviewer', 'operator']);
  await addPrincipal(ctx.pool, viewer, ['auditor']);
  tokens.reviewer = (await createApiToken(ctx.pool, { principal: reviewer, label: 'dashboard' })).token;
  tokens.viewer = (await createApiToken(ctx.pool, { principal: viewer, label: 'dashboard' })).token;
  // An administrator who holds no approver role: the server refuses its votes and approvals.
  admin = await testAdmin(ctx);
  tokens.admin = (await createApiToken(ctx.pool, { principal: admin, label: 'dashboard' })).token;

  const abp = await buildUniqueAbp(ctx);
  abpId = abp.abp_id;
  const now = Date.now();
  const ingested = await ingestEvidence(
    ctx,
    driftRows(
      abpId,
      'fp-browser',
      [1, 2, 3].map((n) => new Date(now - n * 60_000)),
    ),
    { kind: 'drift_signal', waitForEvaluation: true },
  );
  reviewId = ingested.evaluation!.opened[0]!;
  expect(reviewId).toBe(`${abpId}.DRT-001.r1`);

  const agent = await freshAgent(ctx, { cooldownBaseSeconds: 3600, cooldownMaxSeconds: 7200 });
  const staged = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: reviewer } });
  endorsementId = staged.endorsementId;
  for (const message of BENIGN) await chat(ctx, agent, message, { waitForShadow: true });

  const suffix = uniqueSuffix();
  people = await seedPeopleAndPolicy(ctx, suffix);
  tokens.proposer = (await createApiToken(ctx.pool, { principal: people.proposer })).token;
  tokens.approver = (await createApiToken(ctx.pool, { principal: people.approver })).token;
  const source = `feedback://recent-reviewed?tenant=browser-${suffix}`;
  await ingestFeedback(ctx, toNdjson(reviewedRows(`browser-${suffix}`, 40, { marker: suffix })), people.proposer);
  const proposal = await proposeCalibrationUpdate(
    ctx,
    seedCalibrationRequest(people.proposer, source, `threshold-profile-${suffix}`),
  );
  proposalId = proposal.proposal_id;
});

/** Signs in on the delegation tab (without a tab in the address, the page opens on "Waiting on me"). */
async function signIn(page: Page, token: string, name: string): Promise<void> {
  await page.goto(`${b.baseUrl}/#delegation`);
  await page.locator('#token').fill(token);
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('[data-testid=principal]', { hasText: name }).waitFor();
}

const card = (page: Page, trigger: string) => page.locator(`[data-testid="trigger-${abpId}-${trigger}"]`);
const reviewRow = (page: Page, id: string) => page.locator(`[data-testid="review-${id}"]`);

describe('the governance dashboard in a browser', () => {
  it('signs in with a token, refuses a wrong one, and shows buttons only for roles that allow them', async () => {
    const page = await b.newPage();
    await page.goto(`${b.baseUrl}/`);
    await page.locator('#token').fill('not-a-token');
    await page.locator('#signin-form button[type=submit]').click();
    await expect
      .poll(() => page.locator('#signin-error').textContent(), { timeout: 60_000 })
      .toMatch(/Not signed in: invalid token/);

    await signIn(page, tokens.viewer!, viewer);
    await reviewRow(page, reviewId).waitFor();
    expect(await card(page, 'DRT-001').getAttribute('data-state')).toBe('tripped');
    expect(await reviewRow(page, reviewId).locator('[data-action]').count()).toBe(0);
    expect(await reviewRow(page, reviewId).textContent()).toContain('needs Reviewer');
    await b.screenshot(page, '01-viewer-delegation');
    // Nor may the viewer steer the staged endorsement: that needs the agent's operator role.
    await page.locator('[data-tab=endorsements]').click();
    const staged = page.locator(`[data-testid="endorsement-${endorsementId}"]`);
    await staged.and(page.locator('[data-state=staged]')).waitFor();
    expect(await staged.locator('[data-action]').count()).toBe(0);
    await page.locator('[data-tab=delegation]').click();

    await page.locator('#signout').click();
    await page.locator('#signin').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('warden.token')")).toBeNull();

    // Votes are the review policy's approver role alone: an admin is not offered them.
    await signIn(page, tokens.admin!, admin);
    await reviewRow(page, reviewId).waitFor();
    expect(await reviewRow(page, reviewId).getAttribute('data-state')).toBe('open');
    expect(await reviewRow(page, reviewId).locator('[data-action]').count()).toBe(0);
    expect(await reviewRow(page, reviewId).textContent()).toContain('needs Reviewer');
    await page.locator('#signout').click();
    await page.locator('#signin').waitFor();

    await signIn(page, tokens.reviewer!, reviewer);
    await reviewRow(page, reviewId).locator('[data-action=approve]').waitFor();
    expect(await reviewRow(page, reviewId).locator('[data-action=dismiss]').count()).toBe(1);
    await page.close();
  });

  it('approves a review and the trigger card changes live, without a reload', async () => {
    const page = await b.newPage();
    await signIn(page, tokens.reviewer!, reviewer);
    await reviewRow(page, reviewId).waitFor();
    // Survives only as long as the page is not reloaded.
    await page.evaluate('window.notReloaded = true');
    expect(await card(page, 'DRT-001').getAttribute('data-state')).toBe('tripped');

    await reviewRow(page, reviewId).locator('[data-action=approve]').click();
    const dialog = page.locator('#action-dialog');
    // The current ABP stands beside the editor.
    await expect
      .poll(() => dialog.locator('[data-testid=current-abp]').textContent(), { timeout: 60_000 })
      .toContain('"objectives"');
    await dialog.locator('select[name=output_kind]').selectOption('abp_patch');
    // A patch the server refuses: the dry run names the field, the dialog stays open, no vote is recorded.
    await dialog.locator('textarea[name=document]').fill('{"scope": {"contract_id": "elsewhere"}}');
    await dialog.locator('input[name=reason]').fill('narrow the objectives');
    await dialog.locator('#action-submit').click();
    await expect
      .poll(() => dialog.locator('#action-error').textContent(), { timeout: 60_000 })
      .toMatch(/would not apply/);
    expect(await dialog.locator('[data-testid=approve-issues] li[data-field=scope]').textContent()).toMatch(
      /cannot be patched/,
    );
    expect(await dialog.locator('#action-submit').textContent()).toBe('Preview');
    expect(await page.evaluate("document.getElementById('action-dialog').open")).toBe(true);
    expect(await reviewRow(page, reviewId).getAttribute('data-state')).toBe('open');
    expect((await showReview(ctx, reviewId)).votes).toEqual([]);
    await b.screenshot(page, '02-approve-refused');

    // A valid patch: the first press shows the diff and the new hash, and still records nothing.
    const spec = uniqueSpec();
    const patch = { objectives: { allowed: spec.objectives!.allowed.slice(0, 3), denied: spec.objectives!.denied } };
    await dialog.locator('textarea[name=document]').fill(JSON.stringify(patch));
    await dialog.locator('#action-submit').click();
    await dialog.locator('[data-testid=dry-run][data-ok=true]').waitFor();
    expect(await dialog.locator('[data-testid=diff] li[data-path="objectives.allowed"]').count()).toBe(1);
    expect(await dialog.locator('[data-testid=next-hash]').textContent()).toContain(abpId);
    expect(await dialog.locator('#action-submit').textContent()).toBe('Approve');
    expect((await showReview(ctx, reviewId)).votes).toEqual([]);
    await b.screenshot(page, '02b-approve-dry-run-diff');
    await dialog.locator('#action-submit').click();
    await reviewRow(page, reviewId).and(page.locator('[data-state=applied]')).waitFor({ timeout: 90_000 });
    await card(page, 'DRT-001').and(page.locator('[data-state=clear]')).waitFor();
    expect(await card(page, 'DRT-001').locator('[data-testid=count]').textContent()).toBe('0');
    await b.screenshot(page, '03-review-applied');

    // Evidence arriving from elsewhere moves the card while the page just sits there.
    const now = Date.now();
    await ingestEvidence(ctx, driftRows(abpId, 'fp-browser-2', [new Date(now), new Date(now - 1)]), {
      kind: 'drift_signal',
    });
    await card(page, 'DRT-001').and(page.locator('[data-state=armed]')).waitFor({ timeout: 60_000 });
    expect(await card(page, 'DRT-001').locator('[data-testid=count]').textContent()).toBe('2');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await page.locator(`[data-testid="abp-${abpId}"] details.history summary`).click();
    await b.screenshot(page, '04-card-armed-live');
    await page.close();
  });

  it('opens a queued review and dismisses it', async () => {
    // DRT-004 (more than 4 expired claims) queues its review instead of opening it.
    const claims = [1, 2, 3, 4, 5].map((n) =>
      JSON.stringify({
        kind: 'claim',
        claim_id: unique('claim'),
        abp_id: abpId,
        expires_at: new Date(Date.now() - n * 60_000).toISOString(),
      }),
    );
    const queued = (await ingestEvidence(ctx, claims.join('\n'), { waitForEvaluation: true })).evaluation!.queued[0]!;
    const page = await b.newPage();
    await signIn(page, tokens.reviewer!, reviewer);
    const row = reviewRow(page, queued);
    await row.and(page.locator('[data-state=queued]')).waitFor();
    await row.locator('[data-action=open]').click();
    await row.and(page.locator('[data-state=open]')).waitFor();
    // Opened dormant: no workflow (no Temporal UI link), its countdown and approvals from the row.
    expect(await row.locator('[data-testid=no-workflow]').textContent()).toBe('(no workflow yet)');
    expect(await row.locator('a.wf').count()).toBe(0);
    const opened = await findReview(ctx.pool, queued);
    expect(await row.locator('.countdown').getAttribute('data-deadline')).toBe(
      new Date(Date.parse(opened!.openedAt!) + opened!.policy.timeout_ms!).toISOString(),
    );
    expect(await row.locator('td').nth(3).textContent()).toContain(`0 / ${opened!.policy.threshold}`);
    await row.locator('[data-action=dismiss]').click();
    await page.locator('#action-dialog input[name=reason]').fill('the claims were renewed');
    await page.locator('#action-submit').click();
    await row.and(page.locator('[data-state=dismissed]')).waitFor();
    await card(page, 'DRT-004').and(page.locator('[data-state=clear]')).waitFor();
    await b.screenshot(page, '05-queued-review-dismissed');
    await page.close();
  });

  it('promotes a staged endorsement', async () => {
    const page = await b.newPage();
    await signIn(page, tokens.reviewer!, reviewer);
    await page.locator('[data-tab=endorsements]').click();
    const item = page.locator(`[data-testid="endorsement-${endorsementId}"]`);
    await item.and(page.locator('[data-state=staged]')).waitFor();
    expect(await item.locator('svg.chart circle').count()).toBe(BENIGN.length);
    await b.screenshot(page, '06-endorsement-staged');

    await item.locator('[data-action=promote]').click();
    // Three samples of twenty, an hour of cooldown left: promoting now overrides the evidence rule.
    await page.locator('#action-dialog input[name=rationale]').fill('three clean answers are enough for this change');
    await page.locator('#action-dialog input[name=override]').check();
    await page.locator('#action-submit').click();
    await item.and(page.locator('[data-state=promoted]')).waitFor();
    expect(await item.locator('[data-action]').count()).toBe(0);
    await b.screenshot(page, '07-endorsement-promoted');
    await page.close();
  });

  it('lets the approver, not the proposer, approve a proposal, then release it', async () => {
    const page = await b.newPage();
    const item = page.locator(`[data-testid="proposal-${proposalId}"]`);
    await signIn(page, tokens.proposer!, people.proposer);
    await page.locator('[data-tab=proposals]').click();
    await item.and(page.locator('[data-state=awaiting_approval]')).waitFor();
    expect(await item.locator('[data-action]').count()).toBe(0);
    expect(await item.textContent()).toContain('you proposed it');
    await page.locator('#signout').click();

    // Approving is the guard policy's approver role alone: an admin is not offered it.
    await signIn(page, tokens.admin!, admin);
    await page.locator('[data-tab=proposals]').click();
    await item.and(page.locator('[data-state=awaiting_approval]')).waitFor();
    expect(await item.locator('[data-action]').count()).toBe(0);
    expect(await item.textContent()).toContain(`needs ${SEED_POLICY.approver_role}`);
    await page.locator('#signout').click();

    await signIn(page, tokens.approver!, people.approver);
    await page.locator('[data-tab=proposals]').click();
    await item.locator('[data-action=approve]').click();
    await page.locator('#action-dialog input[name=approval_id]').fill('CHG-4711');
    await page.locator('#action-submit').click();
    await item.locator('[data-action=release]').click();
    await page.locator('#action-submit').click();
    await item.and(page.locator('[data-state=released]')).waitFor();
    expect(await item.textContent()).toContain(`CHG-4711 by ${people.approver}`);
    await b.screenshot(page, '08-proposal-released');
    await page.locator('[data-tab=provenance]').click();
    expect(await page.locator('[data-testid=chain-status]').textContent()).toMatch(/chain verified/);
    await b.screenshot(page, '09-provenance');
    await page.close();
  });

  it('opens the Temporal UI filtered by WardenKind', async () => {
    const page = await b.newPage();
    await signIn(page, tokens.reviewer!, reviewer);
    const link = page.locator('#kind-links [data-testid=kind-link-review]');
    const expected = `${b.temporalUiUrl}/namespaces/${ctx.config.temporal.namespace}/workflows?query=${encodeURIComponent('WardenKind="review"')}`;
    expect(await link.getAttribute('href')).toBe(expected);
    const [ui] = await Promise.all([b.browser.waitForEvent('page'), link.click()]);
    await ui.waitForLoadState();
    expect(ui.url()).toBe(expected);
    // The UI lists the review's workflow, and not the endorsement's: the filter took effect.
    await ui.getByText(reviewId).first().waitFor({ timeout: 90_000 });
    expect(await ui.getByText(endorsementId).count()).toBe(0);
    await b.screenshot(ui, '10-temporal-ui-reviews');
    await ui.close();

    // A review's own link opens its workflow's page in the UI.
    const [workflow] = await Promise.all([
      b.browser.waitForEvent('page'),
      reviewRow(page, reviewId).locator('a.wf').click(),
    ]);
    await workflow.waitForLoadState();
    expect(workflow.url()).toContain(
      `/namespaces/${ctx.config.temporal.namespace}/workflows/${encodeURIComponent(reviewId)}`,
    );
    await workflow.getByText('delegationReviewWorkflow').first().waitFor({ timeout: 90_000 });
    await b.screenshot(workflow, '11-temporal-ui-review-workflow');
    await workflow.close();
    await page.close();
  });
});
