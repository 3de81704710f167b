import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { createApiServer } from '../../api/server';
import { CHROMIUM_MISSING, CHROMIUM_PATH } from '../../toolchain/chromium';
import type { IntegrationContext } from './integration';

/**
 * Without the background-networking flags chromium keeps dialling Google's hosts, which a closed
 * network refuses; the sandbox needs privileges a test runner (often root) does not have.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts', 'browser');

export interface BrowserHarness {
  /** The dashboard's address (the Warden HTTP API over this file's context). */
  baseUrl: string;
  /** The Temporal Web UI of the project's dev server. */
  temporalUiUrl: string;
  browser: BrowserContext;
  newPage(): Promise<Page>;
  screenshot(page: Page, name: string): Promise<string>;
}

/**
 * Per test file: the HTTP API serving the dashboard on a free port, linking to the dev server's
 * Web UI, and headless chromium with a fresh profile. Fields are filled in beforeAll.
 */
export function useBrowser(ctx: IntegrationContext): BrowserHarness {
  const harness = {} as BrowserHarness;
  let server: Server | undefined;
  let profile = '';
  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH)) throw new Error(CHROMIUM_MISSING);
    const temporalUiUrl = inject('temporalUiUrl');
    if (!temporalUiUrl)
      throw new Error('the browser project starts its dev server with the Web UI (test/support/global-setup.ts)');
    const withUi = { ...ctx, config: { ...ctx.config, temporal: { ...ctx.config.temporal, uiUrl: temporalUiUrl } } };
    server = createApiServer(withUi);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    profile = await mkdtemp(join(tmpdir(), 'warden-chromium-'));
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    // Bounds a broken run only: on a loaded two-core CI machine a workflow step can take a while.
    browser.setDefaultTimeout(60_000);
    Object.assign(harness, {
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      temporalUiUrl,
      browser,
      async newPage() {
        const page = await browser.newPage();
        // The page's own errors end up in the test output, where a failing run needs them.
        page.on('pageerror', (error) => console.error(`[browser] ${error.message}`));
        page.on('console', (m) => (m.type() === 'error' ? console.error(`[browser console] ${m.text()}`) : undefined));
        return page;
      },
      async screenshot(page: Page, name: string) {
        const path = join(ARTIFACTS_DIR, `${name}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
    });
  });
  afterEach(async (test) => {
    if (test.task.result?.state !== 'fail' || !harness.browser) return;
    // What the page showed when the test failed, for whoever reads the CI log afterwards.
    const slug = test.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    for (const [i, page] of harness.browser.pages().entries()) {
      const path = await harness.screenshot(page, `failed-${slug}-${i}`).catch(() => undefined);
      if (path) console.error(`[browser] failure screenshot: ${path}`);
      await page.close().catch(() => undefined);
    }
  });
  afterAll(async () => {
    await harness.browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (profile) await rm(profile, { recursive: true, force: true });
  });
  return harness;
}
