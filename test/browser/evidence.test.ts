import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ingestEvidence } from '../../client/delegation';
import { approveReview, reviewResult } from '../../client/delegation-reviews';
import { chat, endorseRule } from '../../client/endorsement';
import { ingestFeedback, proposeCalibrationUpdate } from '../../client/guard';
import { addPrincipal } from '../../db/access/principals';
import { createApiToken } from '../../db/access/api-tokens';
import { buildUniqueAbp, unique } from '../integration/delegation/fixtures';
import { BENIGN, SEED_RULE, freshAgent } from '../integration/endorsement/helpers';
import {
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  toNdjson,
  uniqueSuffix,
} from '../integration/guard/guard-fixtures';
import { useBrowser } from '../support/browser';
import { useIntegrationContext } from '../support/integration';

const ctx = useIntegrationContext('browser-evidence');
const b = useBrowser(ctx);

const reviewer = unique('ev-reviewer');
let token = '';
let abpId = '';
let abpHash = '';
let reviewId = '';
let endorsementId = '';
let proposal: { id: string; current: number; candidate: number };

const MIN = 60_000;
const signalIds = Array.from({ length: 12 }, (_, i) => `bsig-${uniqueSuffix()}-${i}`);

beforeAll(async () => {
  await addPrincipal(ctx.pool, reviewer, ['Reviewer', 'operator']);
  token = (await createApiToken(ctx.pool, { principal: reviewer, label: 'evidence-browser' })).token;

  // Twelve signals of one fingerprint: DRT-001 opens a review on all twelve; it applies a patch (version 2).
  const abp = await buildUniqueAbp(ctx);
  abpId = abp.abp_id;
  abpHash = abp.hash;
  const now = Date.now();
  const rows = signalIds.map((id, i) =>
    JSON.stringify({
      signal_id: id,
      abp_id: abpId,
      type: 'verify',
      severity: 'red',
      fingerprint: { key: 'fp-evidence', version: 'v1' },
      observed_at: new Date(now - (20 - i) * MIN).toISOString(),
      summary: 'raw text that must never reach the page',
    }),
  );
  reviewId = (await ingestEvidence(ctx, rows.join('\n'), { kind: 'drift_signal', waitForEvaluation: true })).evaluation!
    .opened[0]!;
  await approveReview(ctx, reviewId, {
    principal: reviewer,
    outputKind: 'abp_patch',
    document: { tools: { deny: [] } },
    reason: 'nothing needs denying here',
  });
  expect((await reviewResult(ctx, reviewId)).state).toBe('applied');

  // An endorsement with a single scored sample.
  const agent = await freshAgent(ctx, { cooldownBaseSeconds: 3600, cooldownMaxSeconds: 7200 });
  endorsementId = (await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: reviewer } }))
    .endorsementId;
  await chat(ctx, agent, BENIGN[0]!, { waitForShadow: true });

  const suffix = uniqueSuffix();
  const people = await seedPeopleAndPolicy(ctx, suffix);
  const source = `feedback://recent-reviewed?tenant=evidence-${suffix}`;
  await ingestFeedback(ctx, toNdjson(reviewedRows(`evidence-${suffix}`, 40, { marker: suffix })), people.proposer);
  const request = seedCalibrationRequest(people.proposer, source, `profile-${suffix}`);
  const p = await proposeCalibrationUpdate(ctx, request);
  proposal = { id: p.proposal_id, current: request.current_threshold, candidate: request.candidate_threshold };
});

async function signIn(page: Page, tab: string): Promise<void> {
  await page.goto(`${b.baseUrl}/#${tab}`);
  await page.locator('#token').fill(token);
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('[data-testid=principal]', { hasText: reviewer }).waitFor();
}

describe('the evidence views in a browser', () => {
  it("lists a review's evidence rows newest first, ten a page, and its version diff", async () => {
    const page = await b.newPage();
    await signIn(page, 'delegation');
    const evidence = page.locator(`[data-testid="review-evidence-${reviewId}"]`);
    await evidence.locator('summary').click();
    const rows = evidence.locator('[data-testid=evidence-row]');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(10);
    const newestFirst = [...signalIds].reverse();
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(
      newestFirst.slice(0, 10),
    );
    expect(await evidence.locator('[data-testid=evidence-range]').textContent()).toBe('1–10 of 12');
    expect(await evidence.textContent()).toContain('fp-evidence (12)');
    expect(await page.content()).not.toContain('raw text that must never reach the page');
    await b.screenshot(page, '30-review-evidence');
    await evidence.locator('[data-action=older]').click();
    await expect.poll(() => evidence.locator('[data-testid=evidence-range]').textContent()).toBe('11–12 of 12');
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(newestFirst.slice(10));

    const diff = page.locator(`[data-testid="review-diff-${reviewId}"]`);
    await diff.locator('summary').click();
    const view = diff.locator('[data-testid=version-diff]');
    await view.waitFor({ timeout: 60_000 });
    expect(await view.getAttribute('data-from')).toBe('1');
    expect(await view.getAttribute('data-to')).toBe('2');
    expect(await view.locator('li[data-path="tools.deny"]').count()).toBe(1);
    expect(await view.locator('li[data-path="hash"]').textContent()).toContain(abpHash);
    await b.screenshot(page, '31-review-version-diff');
    await page.close();
  });

  it('diffs any two versions from the version history', async () => {
    const page = await b.newPage();
    await signIn(page, 'delegation');
    const history = page.locator(`[data-testid="abp-${abpId}"] details.history`);
    await history.locator('summary').click();
    expect(await history.locator('tr[data-version]').count()).toBe(2);
    await history.locator('[data-action=diff-version][data-version="2"]').click();
    const view = history.locator('[data-testid=version-diff]');
    await view.waitFor({ timeout: 60_000 });
    expect([await view.getAttribute('data-from'), await view.getAttribute('data-to')]).toEqual(['1', '2']);
    expect(await view.locator('li[data-path="tools.deny"]').count()).toBe(1);
    // Backwards, from the picker: the same fields, before and after swapped.
    await history.locator('[data-testid=diff-from]').selectOption('2');
    await history.locator('[data-testid=diff-to]').selectOption('1');
    await history.locator('[data-action=diff]').click();
    await expect.poll(() => view.getAttribute('data-from')).toBe('2');
    expect(await history.locator('[data-testid=version-diff] li[data-path="hash"]').textContent()).toMatch(
      new RegExp(`→ "${abpHash}"$`),
    );
    await b.screenshot(page, '32-abp-version-diff');
    await page.close();
  });

  it('charts a single sample in the middle of real time and 0–1 axes, never start = end', async () => {
    const page = await b.newPage();
    await signIn(page, 'endorsements');
    const chart = page.locator(`[data-testid="endorsement-${endorsementId}"] svg.chart`);
    await chart.locator('circle').waitFor({ timeout: 60_000 });
    const m = await chart.evaluate((svg) => {
      const plot = svg.querySelector('rect.plot')!;
      const px = Number(plot.getAttribute('x'));
      const pw = Number(plot.getAttribute('width'));
      return {
        plot: [px, px + pw],
        cx: Number(svg.querySelector('circle')!.getAttribute('cx')),
        xLabels: [...svg.querySelectorAll('text.axis.time')].map((t) => t.textContent),
        yLabels: [...svg.querySelectorAll('text.axis.value')].map((t) => t.textContent),
        title: svg.querySelector('circle title')!.textContent,
      };
    });
    expect(m.cx).toBeCloseTo((m.plot[0]! + m.plot[1]!) / 2, 0);
    expect(new Set(m.xLabels).size).toBe(4);
    expect(m.yLabels).toEqual(['0', '0.25', '0.5', '0.75', '1']);
    expect(m.title).toMatch(/^divergence \d\.\d{3}/);
    await b.screenshot(page, '33-chart-single-sample');
    await page.close();
  });

  it('draws each point of the chart: axes, tier lines, critical points, tooltips, one sample, many samples', async () => {
    const page = await b.newPage();
    await page.goto(`${b.baseUrl}/`);
    // The dashboard's own module, on synthetic series: one sample, 300 over five hours, four over three days.
    await page.addScriptTag({
      type: 'module',
      content: `
        import { divergenceChart } from '/dashboard/chart.js';
        const t0 = Date.parse('2026-11-30T06:00:00Z');
        const at = (ms) => new Date(ms).toISOString();
        const thresholds = { l1: 0.1, l2: 0.3, l3: 0.6 };
        const many = Array.from({ length: 300 }, (_, i) => ({
          at: at(t0 + i * 60000), divergence: (i % 10) / 10, drift: 0.5, critical: i % 50 === 0,
        }));
        const days = [0, 1, 2, 3].map((d) => ({ at: at(t0 + d * 86400000), divergence: 0.2, drift: null, critical: false }));
        const charts = [
          divergenceChart([{ at: at(t0), divergence: 0.2, drift: 0.4, critical: false }], thresholds),
          divergenceChart(many, thresholds),
          divergenceChart(days, thresholds),
        ];
        charts.forEach((c, i) => c.setAttribute('data-chart', ['single', 'many', 'days'][i]));
        document.body.replaceChildren(...charts);
        window.chartsDrawn = true;
      `,
    });
    await page.waitForFunction('window.chartsDrawn === true');
    const measure = (name: string) =>
      page.locator(`svg[data-chart=${name}]`).evaluate((svg) => {
        const plot = svg.querySelector('rect.plot')!;
        const num = (el: { getAttribute(name: string): string | null }, a: string) => Number(el.getAttribute(a));
        const texts = (sel: string) => [...svg.querySelectorAll(sel)].map((t) => t.textContent ?? '');
        return {
          plot: { x: num(plot, 'x'), y: num(plot, 'y'), w: num(plot, 'width'), h: num(plot, 'height') },
          yLabels: texts('text.axis.value'),
          xLabels: texts('text.axis.time'),
          grid: svg.querySelectorAll('line.grid').length,
          ticks: [...svg.querySelectorAll('line.tick')].map((l) => num(l, 'x1')),
          tiers: [...svg.querySelectorAll('line.tier')].map((l) => num(l, 'y1')),
          tierLabels: [...svg.querySelectorAll('text.tier-label')].map((t) => t.textContent),
          points: [...svg.querySelectorAll('circle')].map((c) => ({
            cx: num(c, 'cx'),
            critical: c.classList.contains('critical'),
            r: num(c, 'r'),
            title: c.querySelector('title')?.textContent ?? '',
          })),
          driftTitles: [...svg.querySelectorAll('rect.point.drift title')].map((t) => t.textContent ?? ''),
          paths: [...svg.querySelectorAll('path.series')].map(
            (p) => (p.getAttribute('d') ?? '').split(/[ML]/).length - 1,
          ),
        };
      });
    const [single, many, days] = [await measure('single'), await measure('many'), await measure('days')];
    const yOf = (p: typeof many.plot, v: number) => p.y + (1 - v) * p.h;

    // Axes: 0–1 with gridlines, four time ticks with distinct, increasing timestamps.
    for (const m of [single, many, days]) {
      expect(m.yLabels).toEqual(['0', '0.25', '0.5', '0.75', '1']);
      expect(m.grid).toBe(5);
      expect(m.ticks).toHaveLength(4);
      expect([...m.ticks].sort((a, b) => a - b)).toEqual(m.ticks);
      expect(new Set(m.ticks).size).toBe(4);
      // Tier lines at their thresholds, labelled.
      expect(m.tiers.map((y) => Math.round(y))).toEqual([0.1, 0.3, 0.6].map((v) => Math.round(yOf(m.plot, v))));
      expect(m.tierLabels).toEqual(['L1 0.1', 'L2 0.3', 'L3 0.6']);
    }
    expect(new Set(many.xLabels).size).toBe(4);
    expect(many.xLabels.every((l) => /\d:\d\d:\d\d/.test(l))).toBe(true);
    // Over more than a day the ticks carry the date, not the clock alone.
    expect(days.xLabels.every((l) => /Nov|Dec/.test(l))).toBe(true);
    expect(new Set(days.xLabels).size).toBe(4);

    // One sample: in the middle of a minute's span, not at both ends; no line through one point.
    expect(single.points).toHaveLength(1);
    expect(single.points[0]!.cx).toBeCloseTo(single.plot.x + single.plot.w / 2, 0);
    expect(new Set(single.xLabels).size).toBe(4);
    expect(single.paths).toEqual([]);

    // Many samples: every one drawn in time order inside the plot, joined by one line per series.
    expect(many.points).toHaveLength(300);
    const xs = many.points.map((p) => p.cx);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    expect(xs[0]).toBeCloseTo(many.plot.x, 0);
    expect(xs.at(-1)).toBeCloseTo(many.plot.x + many.plot.w, 0);
    expect(many.paths).toEqual([300, 300]);

    // Critical points stand out (class and size); every point has a tooltip with its values.
    const critical = many.points.filter((p) => p.critical);
    expect(critical).toHaveLength(6);
    expect(critical.every((p) => p.r > many.points[1]!.r && p.title.endsWith(' · critical'))).toBe(true);
    expect(many.points.every((p) => /^divergence \d\.\d{3} · drift 0\.500 at /.test(p.title))).toBe(true);
    expect(many.driftTitles).toHaveLength(300);
    expect(many.driftTitles[0]).toBe('identity drift 0.500');
    await b.screenshot(page, '34-chart-points');
    await page.close();
  });

  it('shows a proposal as current → candidate threshold', async () => {
    const page = await b.newPage();
    await signIn(page, 'proposals');
    const item = page.locator(`[data-testid="proposal-${proposal.id}"]`);
    await item.waitFor({ timeout: 60_000 });
    expect(await item.textContent()).toContain(`${proposal.current} → ${proposal.candidate}`);
    await b.screenshot(page, '35-proposal-current-candidate');
    await page.close();
  });
});
