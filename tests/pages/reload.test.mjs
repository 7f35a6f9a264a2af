// Live configuration in headless Chromium against the real daemon: the
// config file is edited under a running hall and reloaded; a kiosk left on
// the materials list and a wall display show the new material and ticker
// without a page reload or a new connection.
//
// Run: cargo build -p qcall && node --test reload.test.mjs (in tests/pages).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHall, launch, waitText } from './harness.mjs';

let hall;
let browser;

before(async () => {
  hall = await startHall();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await hall?.stop();
});

async function open(path, viewport) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/status of 4\d\d/.test(m.text()) && errors.push(m.text()));
  await page.goto(hall.url + path);
  await page.waitForSelector('html[data-stream="live"]', { timeout: 5000 });
  // Gone if the page is loaded again.
  await page.evaluate(() => {
    window.sameDocument = true;
  });
  page.errors = errors;
  return page;
}

/** How many websockets the page opened so far. */
function sockets(page) {
  let n = 0;
  page.on('websocket', () => (n += 1));
  return () => n;
}

test('a reload reaches an open kiosk materials list and the display ticker, on the same page and socket', async () => {
  const kiosk = await open('/kiosk', { width: 1280, height: 800 });
  const display = await open('/display', { width: 1920, height: 1080 });
  const kioskSockets = sockets(kiosk);
  const displaySockets = sockets(display);
  await kiosk.click('.tile[data-service="A"]:not([disabled])');
  await kiosk.waitForSelector('#screen-materials:not([hidden])');
  assert.doesNotMatch(await kiosk.textContent('#materials'), /结婚证/);
  assert.doesNotMatch(await display.textContent('#ticker'), /停电检修/);

  const file = join(hall.dir, 'hall.toml');
  const text = readFileSync(file, 'utf8');
  const edited = text
    .replace(/(\[\[services\]\]\ncode = "A"[\s\S]*?materials = \[\n)/, '$1  { zh = "结婚证", en = "Marriage certificate" },\n')
    .replace(/^ticker = \[\n/m, 'ticker = [\n  { zh = "今天下午三点停电检修", en = "Power maintenance at 15:00" },\n');
  assert.notEqual(edited, text);
  writeFileSync(file, edited);
  const boss = hall.token('--supervisor', 'li');
  const r = await hall.api('/admin/reload', { method: 'POST', body: {}, token: boss });
  assert.equal(r.status, 200, JSON.stringify(r.body));

  await waitText(kiosk, '#materials', /结婚证/);
  await waitText(display, '#ticker', /停电检修/);
  for (const page of [kiosk, display]) {
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'the page was not loaded again');
    assert.equal(await page.getAttribute('html', 'data-stream'), 'live');
    assert.deepEqual(page.errors, []);
  }
  assert.equal(kioskSockets(), 0, 'the kiosk kept its socket');
  assert.equal(displaySockets(), 0, 'the display kept its socket');
});
