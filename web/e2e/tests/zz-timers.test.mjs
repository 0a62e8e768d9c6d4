import { test, before, after } from 'node:test';
import { launchBrowser, baseUrl } from '../lib.mjs';
let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
const cases = [['lost-ack', 'x', '.slot.checked-duplicate'], ['pipelined-retry', 'x', '.slot.checked-rejected'], ['failover-replicated', 'x', '.msg-reset']];
test('timers', async () => {
  const page = await browser.context.newPage();
  for (const [p, cls, sel] of cases) for (const [name, w, h, extra] of [['desk', 1280, 800, ''], ['phone', 375, 812, '']]) {
    await page.setViewportSize({ width: w, height: h });
    await page.goto(`${baseUrl}?scenario=${p}&speed=1${extra}`);
    await page.locator(`#stage ${sel}`).first().waitFor({ timeout: 60000 }); await page.locator('#play').click();
    await page.waitForTimeout(200);
    await page.screenshot({ path: `/tmp/shots/timer-${p.slice(0,20).replace(/%/g,'')}-${name}.png` });
    console.log(p, name, await page.locator(`#stage .countdown`).allTextContents());
  }
});
