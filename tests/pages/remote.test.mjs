// Queueing from home in Chromium at a phone's viewport: /r takes a remote
// ticket with the code read from a local SMS gateway, its page /t/{id}
// shows the place, the estimate and when to be at the hall, and the kiosk
// checks it in (by the phone's code, and by number + last four digits).
//
// Run: cargo build -p qcall && node --test remote.test.mjs (in tests/pages).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHall, launch, waitText, fakeSms } from './harness.mjs';

const PHONE_VIEW = { width: 390, height: 844 };
let hall;
let sms;
let browser;

before(async () => {
  sms = await fakeSms();
  hall = await startHall({ webhook: sms.url });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await hall?.stop();
  await sms?.close();
});

async function open(path, viewport) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', isMobile: viewport === PHONE_VIEW, hasTouch: viewport === PHONE_VIEW });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/status of 4\d\d/.test(m.text()) && errors.push(m.text()));
  await page.goto(hall.url + path);
  page.errors = errors;
  return page;
}

const codeOf = (m) => /\d{6}/.exec(m.message)[0];

test('/r on a phone takes a remote ticket with the texted code; its page shows place, estimate and when to be there; the kiosk checks it in by the code', async () => {
  const phone = await open('/r', PHONE_VIEW);
  await phone.waitForSelector('.remote-service[data-service="A"]:not([disabled])');
  // Nobody can take one where the service takes none: the reason is shown.
  await phone.click('.remote-service[data-service="A"]');
  await phone.waitForSelector('#step-phone:not([hidden])');
  assert.ok((await phone.locator('#materials li').count()) > 0, 'the materials checklist comes first');
  await phone.check('#have-all');
  await phone.fill('#phone', '13800138000');
  await phone.click('#phone-form button[type="submit"]');
  await phone.waitForSelector('#step-code:not([hidden])');
  const text = await sms.next((m) => m.kind === 'code' && m.phone === '13800138000');
  // A wrong code is refused with the tries left; the right one takes the ticket.
  const code = codeOf(text);
  await phone.fill('#code', code === '000000' ? '111111' : '000000');
  await phone.click('#code-form button[type="submit"]');
  await waitText(phone, '#error', /4 tries left/);
  await phone.fill('#code', code);
  await phone.click('#code-form button[type="submit"]');
  await phone.waitForURL(/\/t\/\d+\?k=/);
  await waitText(phone, '#state', /已为您保留位置/);
  const arrival = (await phone.textContent('#arrival-code')).trim();
  assert.match(arrival, /^\d{6}$/);
  assert.match(await phone.textContent('#expected'), /^\d\d:\d\d$/);
  assert.match(await phone.textContent('#leave'), /前到达大厅签到/);
  assert.notEqual(await phone.textContent('#ahead'), '–');
  const id = Number(new URL(phone.url()).pathname.split('/').pop());

  // At the hall: the kiosk's check-in by the code on the phone.
  const kiosk = await open('/kiosk', { width: 1080, height: 1920 });
  await kiosk.click('#arrive-path');
  await kiosk.click('#arrive-code');
  for (const k of arrival) await kiosk.click(`#arrive-keypad .key[data-key="${k}"]`);
  await kiosk.click('#arrive-submit');
  const number = (await hall.api(`/tickets/${id}`)).body.ticket.number;
  await waitText(kiosk, '#toast', new RegExp(`${number} 号已签到`));
  assert.equal((await hall.api(`/tickets/${id}`)).body.ticket.state, 'waiting');
  // The phone follows live: now an ordinary waiting ticket at its place.
  await waitText(phone, '#state', /等候/);
  assert.ok(await phone.locator('#arrive').isHidden());
  assert.deepEqual(phone.errors, []);
  assert.deepEqual(kiosk.errors, []);
  await phone.context().close();
  await kiosk.context().close();
});

test('the kiosk checks in a remote ticket by its number and the last four digits of the phone', async () => {
  const start = await hall.api('/remote/start', { method: 'POST', body: { service: 'D', phone: '13912345678' } });
  assert.equal(start.status, 202, JSON.stringify(start.body));
  const text = await sms.next((m) => m.kind === 'code' && m.phone === '13912345678');
  const taken = await hall.api('/remote/confirm', { method: 'POST', body: { request_id: start.body.request_id, code: codeOf(text) } });
  assert.equal(taken.status, 201, JSON.stringify(taken.body));
  const { id, number } = taken.body.ticket;
  const kiosk = await open('/kiosk', { width: 1080, height: 1920 });
  await kiosk.click('#arrive-path');
  await kiosk.click(`#arrive-prefixes .key[data-prefix="${number[0]}"]`);
  await kiosk.click('#arrive-number');
  for (const k of number.slice(1)) await kiosk.click(`#arrive-keypad .key[data-key="${k}"]`);
  assert.equal(await kiosk.inputValue('#arrive-number'), number);
  // Wrong digits first: the server's reason, and nothing changes.
  await kiosk.click('#arrive-last4');
  for (const k of '1111') await kiosk.click(`#arrive-keypad .key[data-key="${k}"]`);
  await kiosk.click('#arrive-submit');
  await waitText(kiosk, '#message', /do not match/);
  assert.equal((await hall.api(`/tickets/${id}`)).body.ticket.state, 'remote');
  await kiosk.fill('#arrive-last4', '');
  await kiosk.click('#arrive-last4');
  for (const k of '5678') await kiosk.click(`#arrive-keypad .key[data-key="${k}"]`);
  await kiosk.click('#arrive-submit');
  await waitText(kiosk, '#toast', new RegExp(`${number} 号已签到`));
  assert.equal((await hall.api(`/tickets/${id}`)).body.ticket.state, 'waiting');
  assert.deepEqual(kiosk.errors, []);
  await kiosk.context().close();
});

test('/r on a phone books an appointment with the texted code, then cancels it by its code and phone digits', async () => {
  const phone = await open('/r?book=1', PHONE_VIEW);
  await phone.waitForSelector('#book:not([hidden])');
  await phone.waitForSelector('#b-service option[value="A"]', { state: 'attached' });
  await phone.selectOption('#b-service', 'A');
  // A week ahead (the test hall serves around the clock; the e2e test
  // holds bookings to the demo's own calendar).
  const day = new Date(Date.now() + 7 * 86400000);
  while (day.getDay() === 0 || day.getDay() === 6) day.setDate(day.getDate() + 1);
  const date = day.toISOString().slice(0, 10);
  await phone.fill('#b-date', date);
  await phone.dispatchEvent('#b-date', 'change');
  await phone.waitForSelector('#b-slots .slot[data-slot="09:30"]:not([disabled])');
  await phone.click('#b-slots .slot[data-slot="09:30"]');
  await phone.fill('#b-name', '李四');
  await phone.fill('#b-id', '11010519491231002X');
  await phone.fill('#b-phone', '13700137000');
  await phone.click('#book-form button[type="submit"]');
  await phone.waitForSelector('#book-code-form:not([hidden])');
  const text = await sms.next((m) => m.kind === 'code' && m.phone === '13700137000');
  await phone.fill('#b-code', codeOf(text));
  await phone.click('#book-code-form button[type="submit"]');
  await phone.waitForSelector('#booked:not([hidden])');
  const code = (await phone.textContent('#booked-code')).trim();
  assert.match(code, /^\d{6}$/);
  await waitText(phone, '#booked-when', new RegExp(`${date} 09:30`));
  const confirmed = await sms.next((m) => m.kind === 'booked' && m.phone === '13700137000');
  assert.match(confirmed.message, new RegExp(code));
  // The slot now has one place fewer; cancelling by the code and the
  // phone's last 4 digits gives it back (wrong digits do not).
  const before = await hall.api(`/bookings/slots?service=A&date=${date}`);
  const left = before.body.slots.find((s) => s.slot === '09:30').left;
  const wrong = await hall.api(`/bookings/${code}`, { method: 'DELETE', body: { phone_last4: '1234' } });
  assert.equal(wrong.status, 404);
  await phone.fill('#c-code', code);
  await phone.fill('#c-phone4', '7000');
  await phone.click('#cancel-form button[type="submit"]');
  await waitText(phone, '#cancel-done', /已取消/);
  const after = await hall.api(`/bookings/slots?service=A&date=${date}`);
  assert.equal(after.body.slots.find((s) => s.slot === '09:30').left, left + 1);
  assert.deepEqual(phone.errors, []);
  await phone.context().close();
});

test('the display and counter mark a remote ticket when it is called; /admin counts tickets per channel', async () => {
  const start = await hall.api('/remote/start', { method: 'POST', body: { service: 'F', phone: '13612345678' } });
  const text = await sms.next((m) => m.kind === 'code' && m.phone === '13612345678');
  const taken = await hall.api('/remote/confirm', { method: 'POST', body: { request_id: start.body.request_id, code: codeOf(text) } });
  const { id, number } = taken.body.ticket;
  const arrived = await hall.api(`/tickets/${id}/arrive`, { method: 'POST', body: { phone_last4: '5678' } });
  assert.equal(arrived.status, 200, JSON.stringify(arrived.body));
  const display = await open('/display', { width: 1920, height: 1080 });
  await display.waitForSelector('html[data-stream="live"]');
  const token = hall.token('--counter', '2');
  await hall.api('/counters/2/open', { method: 'POST', body: {}, token });
  // Counter 2 serves A first, then F: call until it is ours.
  for (let i = 0; i < 50; i++) {
    const r = await hall.api('/counters/2/call-next', { method: 'POST', body: {}, token });
    assert.equal(r.status, 200, 'our ticket is called before the queues run dry');
    if (r.body.ticket.id === id) break;
    await hall.api('/counters/2/finish', { method: 'POST', body: {}, token });
  }
  await waitText(display, '#latest-number', `${number}网`);
  assert.equal(await display.getAttribute('#latest-number .mark-channel', 'data-channel'), 'remote');
  const counter = await open('/counter', { width: 1366, height: 900 });
  await counter.fill('#token', token);
  await counter.click('#signin-form button[type="submit"]');
  await counter.waitForSelector('#cur-number .mark-channel[data-channel="remote"]');
  const boss = hall.token('--supervisor', 'zhao');
  const admin = await open('/admin', { width: 1280, height: 900 });
  await admin.fill('#token', boss);
  await admin.click('#signin-form button[type="submit"]');
  await admin.waitForSelector('#stats-channels tr[data-channel="remote"]');
  const remoteRow = await admin.textContent('#stats-channels tr[data-channel="remote"]');
  assert.match(remoteRow, /网上取号/);
  const stats = await hall.api('/stats', { token: boss });
  const remote = stats.body.channels.find((g) => g.channel === 'remote');
  assert.ok(remote.issued >= 3 && remote.arrived >= 3, JSON.stringify(remote));
  assert.deepEqual(display.errors, []);
  assert.deepEqual(admin.errors, []);
  for (const p of [display, counter, admin]) await p.context().close();
});

test('/r says each service\'s wait as the API\'s 80% range in words, in zh and en, the same as the kiosk\'s', async () => {
  // A queue ahead, so the words are a range rather than "马上".
  for (let i = 0; i < 6; i++) assert.equal((await hall.api('/tickets', { method: 'POST', body: { service: 'A' } })).status, 201);
  const api = (await hall.api('/remote/services')).body.services.find((s) => s.service === 'A');
  const [low, high] = api.estimated_wait_range_s;
  assert.ok(low <= api.estimated_wait_s && api.estimated_wait_s <= high, JSON.stringify(api));
  const kiosk = (await hall.api('/services')).body.services.find((s) => s.code === 'A');
  assert.deepEqual(api.estimated_wait_text, kiosk.estimated_wait_text, 'the same estimate as GET /services');
  assert.deepEqual(api.estimated_wait_range_s, kiosk.estimated_wait_range_s);
  for (const lang of ['zh', 'en']) {
    const phone = await open(`/r?lang=${lang}`, PHONE_VIEW);
    await phone.waitForSelector('.remote-service[data-service="A"]');
    await waitText(phone, '.remote-service[data-service="A"] .wait', api.estimated_wait_text[lang]);
    assert.deepEqual(phone.errors, []);
    await phone.context().close();
  }
});
