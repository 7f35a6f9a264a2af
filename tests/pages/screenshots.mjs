// Regenerates docs/screenshots/*.png: every screen in zh and en (and the
// kiosk in elderly mode) on the demo hall with a morning's worth of
// tickets. Run through scripts/screenshots.sh.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startHall, launch, waitText, fakeSms } from './harness.mjs';

const OUT = join(ROOT, 'docs/screenshots');
mkdirSync(OUT, { recursive: true });

// With a qcall built with the `test-clock` feature (scripts/screenshots.sh
// builds one), the morning runs on a manual clock from 08:30, so waits,
// SLA colours and statistics look like a real day; otherwise it all
// happens within a second.
const MONDAY_0830 = Date.parse('2026-11-23T08:30:00+08:00');
// The texts of /r's codes arrive here.
const sms = await fakeSms();
const hall = await startHall({
  bin: process.env.QCALL_SCREENSHOT_BIN,
  env: { QCALL_TEST_CLOCK_MS: String(MONDAY_0830) },
  webhook: sms.url,
  // The demo's own hours (shown, not enforced): /r's slots follow them.
  hours: null,
});
const browser = await launch();
const shots = [];

async function shot(name, path, viewport, prepare = async () => {}, lang = 'zh') {
  const context = await browser.newContext({ viewport, locale: lang === 'zh' ? 'zh-CN' : 'en-US', deviceScaleFactor: 1 });
  await context.addInitScript((l) => localStorage.setItem('qcall.lang', l), lang);
  const page = await context.newPage();
  const sep = path.includes('?') ? '&' : '?';
  await page.goto(`${hall.url}${path}${sep}lang=${lang}`);
  await prepare(page);
  await page.waitForTimeout(300); // fonts and layout settle; not a synchronisation
  const file = join(OUT, `${name}-${lang}.png`);
  await page.screenshot({ path: file, animations: 'disabled' });
  shots.push(file);
  await context.close();
}

const advance = (minutes) => hall.api('/test/clock', { method: 'POST', body: { advance_ms: Math.round(minutes * 60000) } });

try {
  const tokens = {};
  for (const c of ['1', '2', '3', '4', '5', '6', '7', '8']) tokens[c] = hall.token('--counter', c);
  const act = (c, action, body) => hall.api(`/counters/${c}/${action}`, { method: 'POST', token: tokens[c], body });
  const take = (service, priority = 'normal') => hall.api('/tickets', { method: 'POST', body: { service, priority, source: 'kiosk:east-1' } });

  // 08:30-09:15: people arrive a little faster than six counters serve
  // them; each counter finishes (with a rating) and calls the next in turn.
  const arrivals = 'AACADBAECFAABCDAEBAFCAADACEAFBACADAEAC';
  let i = 0;
  for (const service of arrivals) {
    const priority = i % 9 === 4 ? 'elderly' : i % 13 === 7 ? 'disabled' : i % 17 === 11 ? 'pregnant' : 'normal';
    await take(service, priority);
    await advance(1.2);
    if (i % 4 !== 3) {
      const c = ['1', '2', '3', '4', '5', '6'][i % 6];
      const now = (await hall.api('/counters')).body.counters.find((x) => x.id === c);
      // Someone who never came up stays "called" until the clerk gives up.
      if (now.current && now.current.state === 'called') await act(c, 'no-show');
      else if (now.current) await act(c, 'finish', { rating: i % 7 === 3 ? 4 : 5 });
      await act(c, 'call-next');
      if (i % 11 !== 4) {
        await advance(0.3);
        await act(c, 'start');
      }
    }
    i += 1;
  }
  // The current state of each counter.
  for (const c of ['1', '2', '3', '4', '5', '6']) await act(c, 'call-next');
  await act('2', 'start');
  await act('4', 'start');
  await act('7', 'open');
  await act('7', 'pause');
  await advance(0.5);
  await act('6', 'recall');
  const supervisor = hall.token('--supervisor', 'li');
  await hall.api('/alerts', { method: 'POST', body: { kind: 'guide', source: 'kiosk:east-1' } });
  // The ticket a phone follows: waiting in queue C.
  const mine = await take('C');
  const called = (await hall.api('/counters')).body.counters.find((c) => c.id === '1').current;
  // A ticket taken from home on /r, in queue D, not yet checked in.
  const started = await hall.api('/remote/start', { method: 'POST', body: { service: 'D', phone: '13800138000' } });
  const text = await sms.next((m) => m.kind === 'code');
  const remote = await hall.api('/remote/confirm', {
    method: 'POST',
    body: { request_id: started.body.request_id, code: /\d{6}/.exec(text.message)[0] },
  });
  const remoteLink = new URL(remote.body.ticket.status_url);

  for (const lang of ['zh', 'en']) {
    const kiosk = { width: 1280, height: 800 };
    await shot('kiosk', '/kiosk', kiosk, async (p) => p.waitForSelector('.tile'), lang);
    await shot('kiosk-elderly', '/kiosk?elderly=1', kiosk, async (p) => p.waitForSelector('.tile'), lang);
    await shot('kiosk-materials', '/kiosk', kiosk, async (p) => {
      await p.click('.tile[data-service="B"]');
      await p.waitForSelector('#screen-materials:not([hidden])');
    }, lang);
    await shot('kiosk-ticket', '/kiosk', kiosk, async (p) => {
      await p.click('#green-path');
      await p.click('#green-classes [data-class="elderly"]');
      await p.click('.tile[data-service="A"]');
      await p.click('#take');
      await p.waitForSelector('#screen-ticket:not([hidden])');
    }, lang);
    await shot('counter', '/counter', { width: 1366, height: 768 }, async (p) => {
      await p.fill('#token', tokens['2']);
      await p.click('#signin-form button[type="submit"]');
      await p.waitForSelector('html[data-stream="live"]');
      await p.waitForSelector('#cur-number');
    }, lang);
    await shot('display', '/display', { width: 1920, height: 1080 }, async (p) => {
      await p.waitForSelector('html[data-stream="live"]');
    }, lang);
    await shot('display-zone', '/display?zone=west', { width: 1920, height: 1080 }, async (p) => {
      await p.waitForSelector('html[data-stream="live"]');
    }, lang);
    await shot('ticket-waiting', `/t/${mine.body.ticket.id}`, { width: 390, height: 844 }, async (p) => {
      await p.waitForSelector('#state[data-state="waiting"]');
    }, lang);
    await shot('ticket-called', `/t/${called.id}`, { width: 390, height: 844 }, async (p) => {
      await p.waitForSelector('#state[data-state="called"]');
    }, lang);
    await shot('remote', '/r', { width: 390, height: 844 }, async (p) => {
      await p.waitForSelector('.remote-service');
    }, lang);
    await shot('remote-book', '/r?book=1', { width: 390, height: 1100 }, async (p) => {
      await p.waitForSelector('#b-service option', { state: 'attached' });
      await p.selectOption('#b-service', 'A');
      await p.fill('#b-date', '2026-11-24');
      await p.dispatchEvent('#b-date', 'change');
      await p.waitForSelector('#b-slots .slot');
    }, lang);
    await shot('ticket-remote', remoteLink.pathname + remoteLink.search, { width: 390, height: 1000 }, async (p) => {
      await p.waitForSelector('#arrive:not([hidden])');
    }, lang);
    await shot('kiosk-arrive', '/kiosk', kiosk, async (p) => {
      await p.click('#arrive-path');
      await p.waitForSelector('#screen-arrive:not([hidden])');
    }, lang);
    await shot('admin', '/admin', { width: 1600, height: 1500 }, async (p) => {
      await p.fill('#token', supervisor);
      await p.click('#signin-form button[type="submit"]');
      await p.waitForSelector('html[data-stream="live"]');
      await p.waitForSelector('#plot-services svg rect');
      await waitText(p, '#audio', /.+/);
    }, lang);
  }
  console.log(`wrote ${shots.length} screenshots to docs/screenshots/`);
} finally {
  await browser.close();
  await hall.stop();
  await sms.close();
}
