import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ingestEvidence } from '../../client/delegation';
import { addPrincipal } from '../../db/access/principals';
import { createApiToken } from '../../db/access/api-tokens';
import { demoAbpSpec } from '../../demo/delegation-abp';
import { buildUniqueAbp, unique } from '../integration/delegation/fixtures';
import { useBrowser } from '../support/browser';
import { useIntegrationContext } from '../support/integration';

const ctx = useIntegrationContext('browser-operator');
const b = useBrowser(ctx);

const reviewer = unique('op-reviewer');
// A role of this file's own: the inbox counts every review of its approver role, and the other browser
// files open and close reviews of the demo's Reviewer role in the same database meanwhile.
const approverRole = unique('OpReviewer');
let token = '';

const driftRows = (abp: string, key: string) =>
  [1, 2, 3]
    .map((n) =>
      JSON.stringify({
        abp_id: abp,
        type: 'verify',
        severity: 'red',
        fingerprint: { key, version: 'v1' },
        observed_at: new Date(Date.now() - n * 60_000).toISOString(),
      }),
    )
    .join('\n');

beforeAll(async () => {
  await addPrincipal(ctx.pool, reviewer, [approverRole]);
  token = (await createApiToken(ctx.pool, { principal: reviewer, label: 'operator-browser' })).token;
});

async function signIn(page: Page, hash = ''): Promise<void> {
  await page.goto(`${b.baseUrl}/${hash}`);
  // Nothing but the sign-in form before signing in: no tabs.
  expect(await page.locator('#tabs').isVisible()).toBe(false);
  await page.locator('#token').fill(token);
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('[data-testid=principal]', { hasText: reviewer }).waitFor();
}

const inboxCount = async (page: Page) => Number(await page.locator('[data-count=inbox]').textContent());

describe('the operator views in a browser', () => {
  it('opens on "Waiting on me"; its count rises when a review opens and falls after the vote', async () => {
    const page = await b.newPage();
    await signIn(page);
    await page.locator('#panel-inbox h2').waitFor();
    expect(await page.locator('[data-tab=inbox]').getAttribute('class')).toContain('active');
    await expect.poll(() => page.locator('[data-count=inbox]').textContent(), { timeout: 60_000 }).toMatch(/^\d+$/);
    const before = await inboxCount(page);

    const review = demoAbpSpec().delegation_review!;
    const abp = await buildUniqueAbp(ctx, {
      delegation_review: {
        ...review,
        review_policy: { ...review.review_policy, approver_role: approverRole },
      },
    });
    const opened = (
      await ingestEvidence(ctx, driftRows(abp.abp_id, 'fp-op'), { kind: 'drift_signal', waitForEvaluation: true })
    ).evaluation!.opened[0]!;
    const row = page.locator(`[data-testid="inbox-${opened}"]`);
    await row.waitFor({ timeout: 60_000 });
    await expect.poll(() => inboxCount(page), { timeout: 60_000 }).toBe(before + 1);
    expect(await row.textContent()).toContain('approve or dismiss');
    await b.screenshot(page, '20-inbox');

    // Vote from the inbox: the dialog previews the change first, then records the vote.
    await row.locator('[data-action=approve]').click();
    const dialog = page.locator('#action-dialog');
    await expect
      .poll(() => dialog.locator('[data-testid=current-abp]').textContent(), { timeout: 60_000 })
      .toContain('"tools"');
    await dialog.locator('textarea[name=document]').fill(JSON.stringify({ tools: { deny: [] } }));
    await dialog.locator('input[name=reason]').fill('nothing needs denying here');
    await dialog.locator('#action-submit').click();
    await dialog.locator('[data-testid=dry-run][data-ok=true]').waitFor();
    expect(await dialog.locator('[data-testid=diff] li[data-path="tools.deny"]').count()).toBe(1);
    await b.screenshot(page, '21-approve-dialog-diff');
    await dialog.locator('#action-submit').click();
    await row.waitFor({ state: 'detached', timeout: 60_000 });
    await expect.poll(() => inboxCount(page), { timeout: 60_000 }).toBe(before);
    await page.close();
  });

  it('finds an entry by actor in the audit trail and opens it', async () => {
    const page = await b.newPage();
    await signIn(page, '#provenance');
    await page.locator('[data-testid=audit-actor]').fill(reviewer);
    await page.locator('[data-testid=audit-apply]').click();
    const rows = page.locator('tr.entry');
    await expect
      .poll(
        async () =>
          (await rows.count()) > 0 &&
          (await page.locator(`tr.entry[data-actor="${reviewer}"]`).count()) === (await rows.count()),
        { timeout: 60_000 },
      )
      .toBe(true);
    // The reviewer's approval from the test before is there by name.
    expect(await page.locator('tr.entry', { hasText: 'review.approved' }).count()).toBeGreaterThan(0);
    await rows.first().locator('td').first().click();
    const detail = page.locator('tr.entry-detail');
    await detail.waitFor();
    expect(await detail.textContent()).toMatch(/signature valid/);
    expect(await detail.textContent()).toContain('"output_hash"');
    await b.screenshot(page, '22-audit-by-actor');

    // From a review to its own entries: the link sets the subject filter.
    await page.locator('[data-tab=delegation]').click();
    const link = page.locator('a.audit-link').first();
    const subject = decodeURIComponent((await link.getAttribute('href'))!.split('subject=')[1]!);
    await link.click();
    await expect
      .poll(async () => page.locator('tr.entry td:nth-child(4)').allTextContents(), { timeout: 60_000 })
      .toEqual(expect.arrayContaining([subject]));
    expect(new Set(await page.locator('tr.entry td:nth-child(4)').allTextContents())).toEqual(new Set([subject]));
    await page.close();
  });

  it('fits a 390 px screen without horizontal scrolling, in light and dark', async () => {
    const page = await b.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page);
    for (const tab of ['inbox', 'delegation', 'endorsements', 'proposals', 'provenance']) {
      await page.locator(`[data-tab=${tab}]`).click();
      await page.locator(`#panel-${tab} h2`).waitFor();
      const width = await page.evaluate('Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)');
      expect(width, `${tab} at 390 px`).toBeLessThanOrEqual(390);
      await b.screenshot(page, `23-narrow-${tab}`);
    }
    await page.locator('[data-tab=delegation]').click();
    const pill = page.locator('#panel-delegation .pill').first();
    await pill.waitFor();
    const pillColours = () =>
      page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('#panel-delegation .pill')); return [s.backgroundColor, s.color]; })()",
      ) as Promise<string[]>;
    const lightPill = await pillColours();
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--bg').trim()")).toBe(
      '#10131b',
    );
    // The pills take their palette from the scheme's variables, not from a second list of states.
    const darkPill = await pillColours();
    expect(darkPill[0]).not.toBe(lightPill[0]);
    expect(darkPill[1]).not.toBe(lightPill[1]);
    await b.screenshot(page, '24-narrow-dark');
    const icon = await page.request.get(`${b.baseUrl}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/svg+xml');
    await page.close();
  });
});
