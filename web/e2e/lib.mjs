// Helpers for the browser end-to-end tests in web/e2e/tests/*.test.mjs.
//
// Run the tests with `node web/e2e/run.mjs` (or `cargo xtask e2e`): it serves
// dist/ on 127.0.0.1 at a free port and exports E2E_BASE_URL for the tests.
// Against a running `cargo xtask serve`, set E2E_BASE_URL=http://127.0.0.1:8080/
// and run `node --test web/e2e/tests/`.
//
// Typical test:
//
//   import { test, before, after } from 'node:test';
//   import assert from 'node:assert/strict';
//   import { launchBrowser, baseUrl, collectErrors, screenshot } from '../lib.mjs';
//
//   let browser;
//   before(async () => { browser = await launchBrowser(); });
//   after(async () => { await browser?.close(); });
//
//   test('does something', async () => {
//     const { page } = browser;
//     const errors = collectErrors(page);
//     await page.goto(baseUrl);
//     await page.locator('#app-root').waitFor();
//     ...
//     await screenshot(page, 'something');
//     errors.assertNone();
//   });

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

/** Where the site is served, with a trailing slash. */
export const baseUrl = withSlash(process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080/');

/** The same dist/ served under a sub-path (set by run.mjs), or undefined. */
export const subpathUrl = process.env.E2E_SUBPATH_URL ? withSlash(process.env.E2E_SUBPATH_URL) : undefined;

/** The same site on another origin (another port; set by run.mjs), or undefined. */
export const secondOriginUrl = process.env.E2E_SECOND_ORIGIN_URL ? withSlash(process.env.E2E_SECOND_ORIGIN_URL) : undefined;

/** Screenshots land here (git-ignored). */
export const artifactsDir = join(here, 'artifacts');

/** Debian's Chromium (apt `chromium`); playwright downloads no browser. */
export const chromiumPath = '/usr/bin/chromium';

export const chromiumArgs = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** Absolute URL for a path relative to baseUrl, e.g. url('web/styles/app.css'). */
export function url(path = '') {
  return new URL(path.replace(/^\/+/, ''), baseUrl).href;
}

/**
 * Starts headless Chromium with a fresh temporary profile.
 * Returns { context, page, close }: `page` is the context's first tab;
 * `close()` closes the browser and deletes the profile.
 * `options` are passed to playwright's launchPersistentContext (e.g. viewport, colorScheme).
 */
export async function launchBrowser(options = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'idempotence-e2e-profile-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      viewport: { width: 1280, height: 800 },
      ...options,
      executablePath: chromiumPath,
      headless: true,
      args: [...chromiumArgs],
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects console errors and uncaught page errors from `page` from now on.
 * Returns { consoleErrors, pageErrors, assertNone() }.
 */
export function collectErrors(page) {
  const consoleErrors = [];
  const pageErrors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const { url: where, lineNumber } = msg.location();
      consoleErrors.push(where ? `${msg.text()} (at ${where}:${lineNumber})` : msg.text());
    }
  });
  page.on('pageerror', (err) => pageErrors.push(err.stack ?? String(err)));
  return {
    consoleErrors,
    pageErrors,
    assertNone() {
      assert.deepEqual(consoleErrors, [], `console errors:\n${consoleErrors.join('\n')}`);
      assert.deepEqual(pageErrors, [], `page errors:\n${pageErrors.join('\n')}`);
    },
  };
}

/** Saves a full-page PNG as web/e2e/artifacts/<name>.png and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

function withSlash(u) {
  return u.endsWith('/') ? u : `${u}/`;
}

/** Waits until the page's status line says the run has finished. */
export async function waitFinished(page, timeout = 60_000) {
  await page.waitForFunction(() => document.querySelector('#status')?.textContent.includes('finished'), null, {
    timeout,
  });
}

/** Two animation frames: what was rendered has been painted. */
export async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/**
 * Screenshots at 1280x800 and 375x812, light and dark, saved as `<name>-<desktop|phone>[-WxH]-<scheme>`
 * (full page) and, with `viewport`, also `...-viewport.png` (the first screen). Restores 1280x800 light.
 */
export async function screenshotMatrix(page, name, { viewport = false, sizeInName = false } = {}) {
  for (const { label, width, height } of [
    { label: 'desktop', width: 1280, height: 800 },
    { label: 'phone', width: 375, height: 812 },
  ]) {
    await page.setViewportSize({ width, height });
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      await settle(page);
      const base = sizeInName ? `${name}-${label}-${width}x${height}-${colorScheme}` : `${name}-${label}-${colorScheme}`;
      await screenshot(page, base);
      if (viewport) {
        await page.screenshot({ path: join(artifactsDir, `${base}-viewport.png`) });
      }
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
}

/**
 * How many event-log rows contain `text` (a string or RegExp), after scrolling the list to its
 * end as a reader would: the list draws the rows in view and more as it is scrolled.
 */
export async function eventLogRows(page, text) {
  const list = page.locator('#event-list');
  let shown = -1;
  for (let i = 0; i < 12; i++) {
    const n = await list.locator('li').count();
    if (n === shown) break;
    shown = n;
    await list.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.waitForTimeout(60);
  }
  return list.locator('li', { hasText: text }).count();
}
