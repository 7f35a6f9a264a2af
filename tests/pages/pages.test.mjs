// The screens in headless Chromium against the real daemon: an applicant
// takes a ticket at the kiosk, a clerk calls it, the wall display shows it
// within a second, the phone page flips to "called", and a display that
// lost its connection catches up on the calls it missed.
//
// Run: npm test --prefix tests/pages (after cargo build -p qcall).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startHall, launch, waitText, fakePrinter } from './harness.mjs';
import { readEscPos } from './escpos.mjs';

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

async function open(path, viewport = { width: 1280, height: 900 }, on = hall) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/status of 4\d\d/.test(m.text()) && errors.push(m.text()));
  await page.goto(on.url + path);
  page.errors = errors;
  return page;
}

async function live(page) {
  await page.waitForSelector('html[data-stream="live"]', { timeout: 5000 });
}

test('every text key a page uses is translated in both languages', async () => {
  const web = join(ROOT, 'assets/web');
  const { STRINGS } = await import(join(web, 'i18n.js'));
  for (const [key, v] of Object.entries(STRINGS)) {
    assert.ok(v.zh && v.en, `${key} lacks zh or en`);
  }
  const used = new Set();
  for (const f of readdirSync(web)) {
    const text = readFileSync(join(web, f), 'utf8');
    for (const m of text.matchAll(/\bt\('([a-z0-9_]+)'\s*[,)]/g)) used.add(m[1]);
    for (const m of text.matchAll(/data-i18n(?:-label|-title|-placeholder)?="([a-z0-9_]+)"/g)) used.add(m[1]);
  }
  // Keys built from a state name: every state the API can send.
  const families = {
    state_: ['closed', 'open_idle', 'calling', 'serving', 'paused'],
    tstate_: ['waiting', 'called', 'serving', 'done', 'no_show', 'cancelled', 'suspended', 'remote', 'lapsed'],
    tstate_long_: ['waiting', 'called', 'serving', 'done', 'no_show', 'cancelled', 'suspended', 'remote', 'lapsed'],
    sla_: ['green', 'yellow', 'red'],
    channel_: ['walk_in', 'remote', 'appointment'],
    conn_: ['connecting', 'live', 'offline', 'refused'],
    done_: ['recall', 'start', 'finish', 'no_show', 'requeue', 'transfer', 'suspend', 'pause', 'resume', 'open', 'close'],
    alert_: ['guide', 'rating', 'wait', 'queue_length', 'service_time', 'rectify'],
    rate_: ['1', '2', '3', '4', '5'],
    channel_: ['pad', 'qr', 'sms'],
    upload_: ['pending', 'delivered'],
    rx_state_: ['open', 'called_back', 'fixed', 'rated'],
    rx_do_: ['assign', 'callback', 'fix'],
  };
  for (const [prefix, names] of Object.entries(families)) for (const n of names) used.add(prefix + n);
  for (const k of ['hall_closed', 'hall_cutoff', 'paused_note', 'closed_note', 'no_current']) used.add(k);
  const missing = [...used].filter((k) => !(k in STRINGS));
  assert.deepEqual(missing, [], 'keys used but not defined');
});

test('pages are served from the binary with types and cache headers', async () => {
  // A ticket page exists for a ticket issued today (an unknown one is a 404 page).
  const issued = await hall.api('/tickets', { method: 'POST', body: { service: 'D' } });
  for (const [path, type] of [
    ['/kiosk', 'text/html'],
    ['/counter', 'text/html'],
    ['/display', 'text/html'],
    ['/admin', 'text/html'],
    [`/t/${issued.body.ticket.id}`, 'text/html'],
    ['/static/common.js', 'text/javascript'],
    ['/static/qcall.css', 'text/css'],
  ]) {
    const res = await fetch(hall.url + path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type'), new RegExp('^' + type), path);
    assert.equal(res.headers.get('cache-control'), 'no-cache', path);
    const again = await fetch(hall.url + path, { headers: { 'if-none-match': res.headers.get('etag') } });
    assert.equal(again.status, 304, `${path} revalidates`);
  }
  assert.equal((await fetch(hall.url + '/static/nope.js')).status, 404);
  assert.equal((await fetch(hall.url + '/static/kiosk.html')).status, 404);
});

test('kiosk → ticket; counter calls it; display shows it within a second; phone flips to called', async () => {
  const display = await open('/display', { width: 1920, height: 1080 });
  await live(display);

  // The applicant: a service, its materials checklist, then the ticket.
  const kiosk = await open('/kiosk', { width: 1080, height: 1920 });
  // The tile says the server's wait for a ticket taken now.
  const before = (await hall.api('/services')).body.services.find((s) => s.code === 'A');
  await waitText(kiosk, '.tile[data-service="A"] .tile-wait', new RegExp(before.estimated_wait_text.zh.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$'));
  await kiosk.click('.tile[data-service="A"]:not([disabled])');
  await kiosk.waitForSelector('#screen-materials:not([hidden])');
  assert.ok((await kiosk.locator('#materials li').count()) >= 3, 'the checklist is shown before the ticket');
  await kiosk.click('#take');
  await kiosk.waitForSelector('#screen-ticket:not([hidden])');
  const number = (await kiosk.textContent('#t-number')).trim();
  assert.match(number, /^A\d{3}$/);
  assert.match(await kiosk.textContent('#t-ahead'), /\d/);
  const id = await kiosk.evaluate(() => document.body.dataset.ticket);

  // The phone, from the ticket's QR code.
  const phone = await open(`/t/${id}`, { width: 390, height: 844 });
  await waitText(phone, '#number', number);
  await phone.waitForSelector('#state[data-state="waiting"]');
  await live(phone);
  // The phone says the wait as the API's range, in words.
  const seen = await hall.api(`/tickets/${id}`);
  const words = seen.body.ticket.estimated_wait_text.zh;
  assert.match(words, /^(马上|约 \d+(-\d+)? 分钟|\d+ 分钟以内|暂无窗口办理.*)$/);
  await waitText(phone, '#wait', words);

  // The clerk signs in with the counter's token and calls with the keyboard.
  const counter = await open('/counter');
  await counter.fill('#token', hall.token('--counter', '1'));
  await counter.click('#signin-form button[type="submit"]');
  await live(counter);
  await counter.waitForSelector('.act[data-cmd="call-next"]:not([disabled])');
  await counter.keyboard.press('c');
  await waitText(counter, '#cur-number', number);

  // The wall display within a second, the phone right after.
  await waitText(display, '#latest-number', number, 1000);
  assert.match(await display.textContent('#latest-counter'), /1/);
  await phone.waitForSelector('#state[data-state="called"]', { timeout: 1000 });
  assert.match(await phone.textContent('#go'), /1号窗口/);

  // The clerk finishes; the counter shows it and the phone says done.
  await counter.keyboard.press('s');
  await counter.waitForSelector('.pill[data-state="serving"]');
  await counter.keyboard.press('f');
  await phone.waitForSelector('#state[data-state="done"]');

  for (const p of [display, kiosk, phone, counter]) assert.deepEqual(p.errors, [], `errors on ${p.url()}`);
  for (const p of [display, kiosk, phone, counter]) await p.context().close();
});

test('a display whose connection drops shows the calls made while it was away', async () => {
  const token = hall.token('--counter', '2');
  const display = await open('/display', { width: 1920, height: 1080 });
  await live(display);
  const before = await display.evaluate(() => window.qcall.stream.connects);

  await display.evaluate(() => window.qcall.stream.drop({ stayDown: true }));
  await display.waitForSelector('html[data-stream="offline"]');

  const numbers = [];
  for (let i = 0; i < 2; i++) {
    const t = await hall.api('/tickets', { method: 'POST', body: { service: 'F' } });
    assert.equal(t.status, 201);
    numbers.push(t.body.ticket.number);
  }
  for (const n of numbers) {
    const r = await hall.api('/counters/2/call-next', { method: 'POST', token });
    assert.equal(r.status, 200);
    assert.equal(r.body.ticket.number, n);
  }
  // Still away: nothing new on the wall yet.
  assert.notEqual((await display.textContent('#latest-number')).trim(), numbers[1]);

  await display.evaluate(() => window.qcall.stream.reconnect());
  await waitText(display, '#latest-number', numbers[1], 3000);
  const history = await display.locator('#history .h-number').allTextContents();
  assert.ok(history.includes(numbers[0]), `the first missed call is in the history: ${history}`);
  const stream = await display.evaluate(() => ({ connects: window.qcall.stream.connects, snapshots: window.qcall.stream.snapshots }));
  assert.equal(stream.connects, before + 1, 'one reconnect');
  assert.equal(stream.snapshots, 1, 'resumed with ?since=SEQ from the missed frames, not a new snapshot');

  // And a real drop (server side closes) reconnects by itself.
  await display.evaluate(() => window.qcall.stream.drop());
  await live(display);
  assert.deepEqual(display.errors, []);
  await display.context().close();
});

test('the kiosk: green channel, appointment message, elderly mode, language, guide alert on /admin', async () => {
  const admin = await open('/admin');
  // A counter token is refused; a supervisor token opens the board.
  await admin.fill('#token', hall.token('--counter', '3'));
  await admin.click('#signin-form button[type="submit"]');
  await waitText(admin, '#signin-error', /主管/);
  await admin.fill('#token', hall.token('--supervisor', 'li'));
  await admin.click('#signin-form button[type="submit"]');
  await admin.waitForSelector('#board:not([hidden])');
  await live(admin);
  // The demo hall's printers, with their state.
  await waitText(admin, '#printers', /kiosk-1/);
  await admin.waitForSelector('#plot-services svg');
  // The day's totals include the estimate's error and missed appointments.
  await waitText(admin, '#totals', /预计等候误差（分）.*\d+ \/ \d+\s*预约爽约 \/ 预约数/);

  const kiosk = await open('/kiosk', { width: 1280, height: 800 });
  // Call a guide: the supervisor sees it within a second.
  await kiosk.click('#guide');
  await kiosk.waitForSelector('#toast:not([hidden])');
  await admin.waitForSelector('#alerts li[data-kind="guide"]', { timeout: 1000 });

  // Green channel: choose who, then the service.
  await kiosk.click('#green-path');
  await kiosk.click('#green-classes [data-class="elderly"]');
  await kiosk.waitForSelector('#mode-banner:not([hidden])');
  await kiosk.click('.tile[data-service="B"]');
  await kiosk.click('#take');
  await kiosk.waitForSelector('#t-mark:not([hidden])');
  const t = await hall.api(`/tickets/${await kiosk.evaluate(() => document.body.dataset.ticket)}`);
  assert.equal(t.body.ticket.priority, 'elderly');
  await kiosk.click('#done');

  // Appointment check-in with a code nobody booked: the kiosk says so kindly.
  await kiosk.click('#appt-path');
  for (const k of '20261122') await kiosk.click(`.key[data-key="${k}"]`);
  await kiosk.click('#appt-next');
  await kiosk.click('.tile[data-service="C"]');
  await kiosk.click('#take');
  await waitText(kiosk, '#message', /预约/);
  await kiosk.click('#screen-materials .back');

  // English, then elderly mode; idle reset brings back the defaults.
  await kiosk.click('#lang-toggle');
  await waitText(kiosk, '#home-h', 'Choose a service');
  await kiosk.click('#elderly-toggle');
  assert.ok(await kiosk.evaluate(() => document.body.classList.contains('elderly')));
  assert.equal(await kiosk.locator('#appt-path').isVisible(), false, 'fewer choices in elderly mode');
  assert.deepEqual(kiosk.errors, []);
  assert.deepEqual(admin.errors, []);
  await kiosk.context().close();
  await admin.context().close();
});

/** Takes a ticket for `service` on an open kiosk page: its number and id. */
async function takeAt(kiosk, service) {
  await kiosk.click(`.tile[data-service="${service}"]:not([disabled])`);
  await kiosk.click('#take');
  await kiosk.waitForSelector('#screen-ticket:not([hidden])');
  return {
    number: (await kiosk.textContent('#t-number')).trim(),
    id: await kiosk.evaluate(() => document.body.dataset.ticket),
  };
}

test('a ticket taken on /kiosk?kiosk=kiosk-1 comes out of kiosk-1\'s printer', async () => {
  const printer = await fakePrinter();
  const printing = await startHall({ printers: { 'kiosk-1': printer.uri } });
  try {
    const kiosk = await open('/kiosk?kiosk=kiosk-1', { width: 1080, height: 1920 }, printing);
    const { number, id } = await takeAt(kiosk, 'A');
    await kiosk.waitForSelector('#t-print[data-kind="printed"]');
    assert.match(await kiosk.textContent('#t-print'), /取走打印的号票/);

    // What the printer was sent, read with the ESC/POS reference's rules.
    const slip = readEscPos(await printer.nextJob());
    assert.ok(slip.lines.includes(number), `the slip prints ${number}: ${JSON.stringify(slip.lines)}`);
    assert.ok(slip.lines.includes('社会保险'), 'the service in Chinese (GB18030)');
    assert.ok(slip.lines.some((l) => l.includes('Hotline: 12345')), 'the hotline');
    // The wait as a range in words, the same the kiosk shows.
    const wait = (await kiosk.textContent('#t-wait')).trim();
    assert.ok(wait.length > 0);
    assert.ok(slip.lines.some((l) => l.includes(`预计等候 ${wait}`)), `the slip prints the wait "${wait}": ${JSON.stringify(slip.lines)}`);
    assert.equal(slip.qr.length, 1);
    assert.match(slip.qr[0], new RegExp(`/t/${id}\\?k=[A-Za-z0-9_-]{20}$`), 'the QR code leads to the ticket\'s page, with its key');
    assert.equal(slip.cuts, 1);

    // The ticket and a guide alert carry the same kiosk name.
    const t = await printing.api(`/tickets/${id}`);
    assert.equal(t.body.ticket.source, 'kiosk-1');
    await kiosk.click('#done');
    await kiosk.click('#guide');
    await kiosk.waitForSelector('#toast:not([hidden])');
    // The list is for staff.
    const alerts = await printing.api('/alerts', { token: printing.token('--guide', 'wu') });
    assert.equal(alerts.body.recent[0].source, 'kiosk-1');
    assert.deepEqual(kiosk.errors, []);
    await kiosk.context().close();
  } finally {
    await printing.stop();
    await printer.close();
  }
});

test('a kiosk whose printer accepts and never answers shows the ticket at once and learns the failure from the stream', async () => {
  const printer = await fakePrinter({ state: 'stall' });
  const printing = await startHall({ printers: { 'kiosk-1': printer.uri } });
  try {
    const kiosk = await open('/kiosk?kiosk=kiosk-1', { width: 1280, height: 800 }, printing);
    const reply = kiosk.waitForResponse((r) => r.url().endsWith('/api/v1/tickets') && r.request().method() === 'POST');
    const { number } = await takeAt(kiosk, 'A');
    // The reply did not wait for the printer: it only says the slip is queued.
    const body = await (await reply).json();
    assert.equal(body.print, 'queued');
    assert.equal(body.ticket.number, number);
    // The printer's timeout passes; the daemon's `ticket_print` notice on
    // /ws/display is the only way the page can learn the slip failed.
    await kiosk.waitForSelector('#t-print[data-kind="failed"]', { timeout: 15000 });
    assert.match(await kiosk.textContent('#t-print'), /请记住您的号码/);
    assert.deepEqual(printer.jobs, [], 'nothing printed');
    assert.deepEqual(kiosk.errors, []);
    await kiosk.context().close();
  } finally {
    await printing.stop();
    await printer.close();
  }
});

test('with kiosk-1\'s printer out of paper the kiosk says to remember the number', async () => {
  const printer = await fakePrinter({ state: 'paper_out' });
  const printing = await startHall({ printers: { 'kiosk-1': printer.uri } });
  try {
    const kiosk = await open('/kiosk?kiosk=kiosk-1', { width: 1280, height: 800 }, printing);
    const { number } = await takeAt(kiosk, 'E');
    assert.match(number, /^E\d{3}$/);
    await kiosk.waitForSelector('#t-print[data-kind="failed"]');
    const said = await kiosk.textContent('#t-print');
    assert.match(said, /打印失败/);
    assert.match(said, /请记住您的号码/);
    assert.deepEqual(printer.jobs, [], 'nothing was printed into a printer without paper');
    // The ticket stands.
    const taken = await printing.api(`/tickets/${await kiosk.evaluate(() => document.body.dataset.ticket)}`);
    assert.equal(taken.body.ticket.state, 'waiting');
    assert.deepEqual(kiosk.errors, []);
    await kiosk.context().close();
  } finally {
    await printing.stop();
    await printer.close();
  }
});

/** What a counter page's action buttons say: name, label (the button's
 *  text without its key), key, shown or hidden, a real <button>. */
function actionButtons(page) {
  return page.locator('.act').evaluateAll((bs) =>
    bs.map((b) => ({
      name: b.dataset.cmd,
      label: [...b.childNodes].filter((n) => n.nodeName !== 'KBD').map((n) => n.textContent).join('').trim(),
      key: b.querySelector('kbd')?.textContent.trim() || null,
      hidden: b.hidden || getComputedStyle(b).display === 'none',
      tag: b.tagName,
    })));
}

test('the counter page has a button for each counter action the server lists; requeue and suspend work, the notice slip (GB18030) names the material and /t/{id} says what to bring back and until when', async () => {
  const printer = await fakePrinter();
  const own = await startHall({ printers: { hall: printer.uri } });
  try {
    const table = (await own.api('/counter-actions')).body.actions;
    for (const name of ['call-next', 'requeue', 'suspend', 'pause', 'resume', 'open', 'close']) {
      assert.ok(table.some((a) => a.name === name), `the table lists ${name}`);
    }
    const counter = await open('/counter', { width: 1366, height: 900 }, own);
    await counter.fill('#token', own.token('--counter', '1'));
    await counter.click('#signin-form button[type="submit"]');
    await live(counter);
    // Signed in, the counter is still closed (call-next or open opens it).
    await counter.waitForSelector('#counter-state[data-state="closed"]');

    // One real button per action, by the table's name and in its order;
    // the shown ones say the table's label (in both languages) and key,
    // and of each toggling pair the half that fits the state is shown.
    const check = async (lang, hidden) => {
      const buttons = await actionButtons(counter);
      assert.deepEqual(buttons.map((b) => b.name), table.map((a) => a.name), 'one .act per action, in the table\'s order');
      for (const b of buttons) {
        const a = table.find((x) => x.name === b.name);
        assert.equal(b.tag, 'BUTTON', b.name);
        if (b.hidden) continue;
        assert.equal(b.label, a.label[lang], `${b.name}'s label in ${lang}`);
        if (a.key) assert.equal(b.key, a.key.toUpperCase(), `${b.name}'s key`);
      }
      assert.deepEqual(buttons.filter((b) => b.hidden).map((b) => b.name), hidden, 'the hidden halves of the toggles');
    };
    await check('zh', ['resume', 'close']);
    // The close key opens a closed counter: the toggle's other half.
    await counter.waitForSelector('.act[data-cmd="open"]:not([disabled])');
    await counter.keyboard.press('o');
    await counter.waitForSelector('#counter-state[data-state="open_idle"]');
    await check('zh', ['resume', 'open']);
    await counter.click('#lang-toggle');
    await counter.waitForSelector('html[lang="en"]');
    await check('en', ['resume', 'open']);
    await counter.click('#lang-toggle');
    await counter.waitForSelector('html[lang="zh-CN"]');

    // Requeue: the called ticket is waiting again, in its place.
    const taken = (await own.api('/tickets', { method: 'POST', body: { service: 'A' } })).body.ticket;
    await counter.keyboard.press('c');
    await waitText(counter, '#cur-number', taken.number);
    await counter.click('.act[data-cmd="requeue"]:not([disabled])');
    await waitText(counter, '#result', new RegExp(`${taken.number} 已退回排队`));
    assert.equal((await own.api(`/tickets/${taken.id}`)).body.ticket.state, 'waiting');

    // Called again; suspended with one ticked material and a typed one.
    await counter.keyboard.press('c');
    await waitText(counter, '#cur-number', taken.number);
    const material = (await own.api('/services')).body.services.find((s) => s.code === 'A').materials[1];
    await counter.click('.act[data-cmd="suspend"]:not([disabled])');
    await counter.waitForSelector('#suspend-dialog[open]');
    await counter.getByRole('checkbox', { name: material.zh }).check();
    await counter.fill('#suspend-extra', '户口簿');
    await counter.fill('#suspend-note', '下午可补');
    await counter.click('#suspend-form button[type="submit"]');
    await waitText(counter, '#result', new RegExp(`${taken.number} 已挂起待补件 · 告知单已打印`));
    assert.equal(await counter.locator('#suspend-dialog[open]').count(), 0, 'the dialog closed');
    assert.equal((await own.api(`/tickets/${taken.id}`)).body.ticket.state, 'suspended');

    // The hall's notice printer got the slip, naming what is missing.
    const slip = readEscPos(await printer.nextJob());
    const text = slip.lines.join('\n');
    assert.ok(slip.lines.some((l) => l.includes('一次性告知单')), `a notice slip: ${text}`);
    assert.ok(slip.lines.some((l) => l.includes(taken.number)), `it names the ticket: ${text}`);
    assert.ok(slip.lines.some((l) => l.includes(material.zh)), `it names the ticked material: ${text}`);
    assert.ok(slip.lines.some((l) => l.includes('户口簿')), `and the typed one: ${text}`);
    assert.ok(slip.lines.some((l) => l.includes('下午可补')), `and the note: ${text}`);
    // Chinese went out as GB18030 (the reader decodes only FS & runs as
    // GB18030): never as UTF-8 bytes.
    const raw = await printer.jobs.at(-1);
    assert.equal(raw.includes(Buffer.from(material.zh, 'utf8')), false, 'no UTF-8 text on the slip');
    assert.deepEqual(counter.errors, []);
    await counter.context().close();

    // The holder's phone page (the slip's QR code) says what to bring back
    // and until when; without the key it says neither.
    const phone = await open(`/t/${taken.id}?k=${taken.ticket_key}`, { width: 390, height: 844 }, own);
    await phone.waitForSelector('#suspension:not([hidden])');
    const missing = await phone.locator('#missing li').allTextContents();
    assert.ok(missing.some((m) => m.includes(material.zh)) && missing.includes('户口簿'), JSON.stringify(missing));
    const day = taken.issued_at.slice(0, 10);
    const until = new Date(Date.parse(day + 'T00:00:00Z') + 7 * 86400000).toISOString().slice(0, 10);
    await waitText(phone, '#return-by', `请于 ${until} 前（含当天）带齐材料凭本号回来，回到原来的位置`);
    assert.deepEqual(phone.errors, []);
    await phone.context().close();
    const stranger = await open(`/t/${taken.id}`, { width: 390, height: 844 }, own);
    await waitText(stranger, '#state', /材料待补齐/);
    assert.equal(await stranger.isHidden('#suspension'), true);
    await stranger.context().close();
  } finally {
    await own.stop();
    await printer.close();
  }
});

// Monday 2026-11-23, 21:30 in Shanghai: after the demo's 17:30 closing.
const MONDAY_2130 = Date.parse('2026-11-23T21:30:00+08:00');

test('at 21:30 with hours not enforced the kiosk takes tickets, as the API does', async () => {
  const late = await startHall({ hours: null, enforce: false, clock: MONDAY_2130 });
  try {
    const services = await late.api('/services');
    assert.equal(services.body.services[0].open_now, true);
    const kiosk = await open('/kiosk', { width: 1280, height: 800 }, late);
    await kiosk.waitForSelector('.tile[data-service="A"][data-state="open"]:not([disabled])');
    assert.equal(await kiosk.locator('.tile[disabled]').count(), 0, 'no tile is disabled');
    await waitText(kiosk, '#home-h', '请选择办理事项');
    const { number } = await takeAt(kiosk, 'A');
    assert.match(number, /^A\d{3}$/);
    assert.deepEqual(kiosk.errors, []);
    await kiosk.context().close();
  } finally {
    await late.stop();
  }
});

test('at 21:30 with hours enforced the kiosk shows every service closed and when it opens', async () => {
  const late = await startHall({ hours: null, enforce: true, clock: MONDAY_2130 });
  try {
    const services = (await late.api('/services')).body.services;
    for (const s of services) {
      assert.equal(s.intake, 'past_cutoff', s.code);
      assert.equal(s.opens_at, '2026-11-24T08:30:00+08:00', s.code);
    }
    assert.equal((await late.api('/tickets', { method: 'POST', body: { service: 'A' } })).status, 409);
    const kiosk = await open('/kiosk', { width: 1280, height: 800 }, late);
    await kiosk.waitForSelector('.tile[data-service="A"][disabled]');
    assert.equal(await kiosk.locator('.tile:not([disabled])').count(), 0, 'every tile is disabled');
    await waitText(kiosk, '.tile[data-service="A"] .tile-wait', '已停止取号 · 明天 08:30 开始取号');
    await waitText(kiosk, '#home-h', /今日已停止取号/);
    await kiosk.click('#lang-toggle');
    await waitText(kiosk, '.tile[data-service="A"] .tile-wait', 'No more tickets today · Opens tomorrow at 08:30');
    assert.deepEqual(kiosk.errors, []);
    await kiosk.context().close();
  } finally {
    await late.stop();
  }
});

test('the kiosk returns to the start screen when left idle', async () => {
  const kiosk = await open('/kiosk?idle=1', { width: 1280, height: 800 });
  await kiosk.click('#elderly-toggle');
  await kiosk.click('.tile[data-service="D"]');
  await kiosk.waitForSelector('#screen-materials:not([hidden])');
  await kiosk.waitForSelector('#screen-home:not([hidden])', { timeout: 3000 });
  assert.equal(await kiosk.evaluate(() => document.body.classList.contains('elderly')), false);
  await kiosk.context().close();
});

test('a closed hall shows its services as closed', async () => {
  // Enforced: with `enforce = false` a hall without hours still issues.
  const closed = await startHall({ hours: [], enforce: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(closed.url + '/kiosk');
    await page.waitForSelector('.tile[data-service="A"][data-state="closed"][disabled]');
    await waitText(page, '#home-h', /不是办公时间/);
    await waitText(page, '.tile[data-service="A"] .tile-wait', '今日已下班');
    await context.close();
  } finally {
    await closed.stop();
  }
});

test('a zone display shows only its services', async () => {
  const display = await open('/display?zone=west&lang=en', { width: 1920, height: 1080 });
  await live(display);
  const services = await display.locator('#queues li').evaluateAll((ls) => ls.map((l) => l.dataset.service));
  assert.deepEqual(services, ['C', 'D', 'E']);
  await waitText(display, '#zone', /West hall/);
  await display.context().close();
});

test('the rating pad asks each indicator, will not send a 差评 without a reason, and a poor rating reaches /admin', async () => {
  const boss = hall.token('--supervisor', 'zhao');
  const admin = await open('/admin');
  await admin.fill('#token', boss);
  await admin.click('#signin-form button[type="submit"]');
  await admin.waitForSelector('#board:not([hidden])');
  await live(admin);

  const counter = hall.token('--counter', '4');
  const taken = await hall.api('/tickets', { method: 'POST', body: { service: 'C' } });
  await hall.api('/counters/4/call-next', { method: 'POST', body: {}, token: counter });
  await hall.api('/counters/4/finish', { method: 'POST', body: {}, token: counter });
  const rated = async () => (await hall.api(`/tickets/${taken.body.ticket.id}?k=${taken.body.ticket.ticket_key}`)).body.ticket.rating;

  // The pad signs in once with its counter's token; until then it asks.
  const pad = await open('/rate/4', { width: 1024, height: 768 });
  await pad.waitForSelector('#setup:not([hidden])');
  assert.ok(await pad.locator('#ask').isHidden(), 'no rating buttons before the pad is set up');
  await pad.fill('#pad-token', counter);
  await pad.click('#setup-form button[type="submit"]');
  await pad.waitForSelector('#ask:not([hidden])');
  await waitText(pad, '#counter-name', /4号窗口/);

  // The indicators of the hall's set, as GET /rating gives them.
  const rules = (await hall.api('/rating')).body;
  const legends = await pad.locator('.rate-indicator legend').allTextContents();
  assert.deepEqual(legends, rules.indicators.map((i) => i.name.zh));
  assert.deepEqual(legends, ['整体满意度', '服务效率', '服务水平', '服务态度']);

  // A good level asks no reason.
  await pad.click('.rate-btn[data-score="4"]');
  assert.ok(await pad.locator('.rate-reason').isHidden(), 'no reason asked for 满意');
  // 不满意: the reason is asked, and sending without one is stopped here.
  await pad.click('.rate-btn[data-score="2"]');
  await pad.waitForSelector('.rate-reason:not([hidden])');
  await pad.check('#ask-attitude-1');
  await pad.check('#ask-overall-2');
  await pad.fill('#comment', '材料清单没写清楚');
  await pad.click('.rate-send');
  await waitText(pad, '.rate-error', /原因/);
  assert.equal(await rated(), null, 'nothing was sent without a reason');
  assert.ok(await pad.locator('#thanks').isHidden());

  await pad.check('#ask-reason-3'); // 一次性告知不清楚
  await pad.click('.rate-send');
  await pad.waitForSelector('#thanks:not([hidden])');
  await waitText(pad, '#thanks-note', /主管/);
  await waitText(admin, '#alerts', new RegExp(taken.body.ticket.number));
  assert.equal(await rated(), 2, 'the pad\'s rating is the ticket\'s');
  const ups = (await hall.api('/ratings/uploads', { token: boss })).body.uploads;
  const mine = ups.find((u) => u.ticket === taken.body.ticket.id);
  assert.equal(mine.reason, '一次性告知不清楚');
  assert.equal(mine.channel, 'pad');
  assert.equal(mine.state, 'pending', 'this hall has no upload_url');

  // One rating per ticket: the next rating has nothing to rate.
  await pad.evaluate(() => { document.querySelector('#ask').hidden = false; });
  await pad.click('.rate-btn[data-score="5"]');
  await pad.click('.rate-send');
  await waitText(pad, '#message', /暂无待评价/);

  // In English the indicators and reasons follow the language.
  await pad.click('#lang-toggle');
  await pad.click('.rate-btn[data-score="1"]');
  await waitText(pad, '.rate-reason', /Waited too long/);
  assert.deepEqual(await pad.locator('.rate-indicator legend').allTextContents(), rules.indicators.map((i) => i.name.en));
  assert.deepEqual(pad.errors, []);
});

test('the phone page takes a number for text messages; the display ticker shows the hotline', async () => {
  const display = await open('/display', { width: 1920, height: 1080 });
  await live(display);
  await waitText(display, '#ticker', /热线/);
  const taken = await hall.api('/tickets', { method: 'POST', body: { service: 'D' } });
  // Without the key (a stranger who typed the id) the page says where it is.
  const stranger = await open(`/t/${taken.body.ticket.id}`, { width: 390, height: 844 });
  await stranger.waitForSelector('#notify-nokey:not([hidden])');
  assert.ok(await stranger.locator('#notify-form').isHidden());
  await stranger.context().close();
  // The holder opens the ticket's own link (its QR code's), key included.
  const link = new URL(taken.body.ticket.status_url);
  assert.match(link.search, /^\?k=[A-Za-z0-9_-]{20}$/);
  const phone = await open(link.pathname + link.search, { width: 390, height: 844 });
  await phone.fill('#phone', '13812345678');
  await phone.click('#notify-form button[type="submit"]');
  await waitText(phone, '#notify-done', /138\*\*\*\*5678/);
  assert.deepEqual(phone.errors, []);
});

test('the holder rates a finished ticket from its phone page, once', async () => {
  const counter = hall.token('--counter', '6');
  const taken = await hall.api('/tickets', { method: 'POST', body: { service: 'E' } });
  const link = new URL(taken.body.ticket.status_url);
  const phone = await open(link.pathname + link.search, { width: 390, height: 844 });
  await live(phone);
  assert.ok(await phone.locator('#rate').isHidden(), 'nothing to rate while waiting');
  await hall.api('/counters/6/open', { method: 'POST', body: {}, token: counter });
  // Counter 6 serves whoever earlier tests left waiting first.
  for (let i = 0; i < 50; i++) {
    const r = await hall.api('/counters/6/call-next', { method: 'POST', body: {}, token: counter });
    assert.equal(r.status, 200, 'the ticket is called before the queue runs dry');
    await hall.api('/counters/6/finish', { method: 'POST', body: {}, token: counter });
    if (r.body.ticket.id === taken.body.ticket.id) break;
  }
  await phone.waitForSelector('#rate:not([hidden])');
  await phone.click('#rate .rate-btn[data-score="4"]');
  await phone.check('#rate-efficiency-5');
  await phone.click('#rate .rate-send');
  await waitText(phone, '#rate-done', /感谢/);
  await phone.waitForSelector('#rate', { state: 'hidden' });
  const held = await hall.api(`/tickets/${taken.body.ticket.id}?k=${taken.body.ticket.ticket_key}`);
  assert.equal(held.body.ticket.rating, 4, 'the rating is recorded for the ticket');
  // The counter's pad has nothing left to rate: one rating per ticket.
  const pad = await hall.api('/counters/6/rating', { method: 'POST', body: { score: 3 }, token: counter });
  assert.equal(pad.body.error.code, 'nothing_to_rate');
  assert.deepEqual(phone.errors, []);
  await phone.context().close();
});

test('the kiosk takes a number for text messages on its own keypad', async () => {
  const kiosk = await open('/kiosk', { width: 1080, height: 1920 });
  await kiosk.click('.tile[data-service="B"]:not([disabled])');
  await kiosk.click('#take');
  await kiosk.waitForSelector('#screen-ticket:not([hidden])');
  await kiosk.click('#k-notify-open');
  for (const k of '13912345678') await kiosk.click(`#k-keypad .key[data-key="${k}"]`);
  assert.equal(await kiosk.inputValue('#k-phone'), '13912345678');
  await kiosk.click('#k-notify-form button[type="submit"]');
  // Registered, shown masked, and the number is no longer on the screen.
  await waitText(kiosk, '#k-notify-done', /139\*\*\*\*5678/);
  assert.equal(await kiosk.inputValue('#k-phone'), '');
  assert.ok(await kiosk.locator('#k-notify-form').isHidden());
  // The next applicant's ticket starts with text-me closed.
  await kiosk.click('#done');
  await kiosk.click('.tile[data-service="B"]:not([disabled])');
  await kiosk.click('#take');
  await kiosk.waitForSelector('#screen-ticket:not([hidden])');
  assert.ok(await kiosk.locator('#k-notify-done').isHidden());
  assert.ok(await kiosk.locator('#k-notify-open').isVisible());
  assert.deepEqual(kiosk.errors, []);
  await kiosk.context().close();
});

test('the supervisor sees the audit trail', async () => {
  const boss = hall.token('--supervisor', 'sun');
  const counter = hall.token('--counter', '5');
  await hall.api('/counters/5/open', { method: 'POST', body: {}, token: counter });
  // Counter 4, the other one for C, closes (earlier tests may have opened
  // it): then closing 5 with C waiting needs the override, which is audited.
  const four = await hall.api('/counters/4/close', { method: 'POST', body: {}, token: hall.token('--counter', '4') });
  assert.equal(four.status, 200, JSON.stringify(four.body));
  await hall.api('/tickets', { method: 'POST', body: { service: 'C' } });
  const forced = await hall.api('/counters/5/close', { method: 'POST', body: { force: true }, token: boss });
  assert.equal(forced.status, 200);
  const audit = await hall.api('/audit', { token: boss });
  assert.match(JSON.stringify(audit.body), /service C/, `the API's audit trail: ${JSON.stringify(audit.body).slice(0, 2000)}`);
  const admin = await open('/admin');
  await admin.fill('#token', boss);
  await admin.click('#signin-form button[type="submit"]');
  await admin.waitForSelector('#board:not([hidden])');
  await waitText(admin, '#audit', /close_override/);
  await waitText(admin, '#audit', /sun/);
  assert.deepEqual(admin.errors, []);
});

test('the counter attaches a case number and sees its 2nd visit; /admin lists each rating\'s upload and the visits per case', async () => {
  const own = await startHall();
  try {
    const token = own.token('--counter', '8');
    const serve = async () => {
      const taken = (await own.api('/tickets', { method: 'POST', body: { service: 'F' } })).body.ticket;
      const called = await own.api('/counters/8/call-next', { method: 'POST', body: {}, token });
      assert.equal(called.body.ticket.id, taken.id);
      return taken;
    };
    // The case's first visit, attached by the hall's business system.
    const first = await serve();
    await own.api('/counters/8/finish', { method: 'POST', body: {}, token });
    const sys = own.token('--integration', 'ywxt');
    const one = await own.api(`/tickets/${first.id}/case`, { method: 'POST', body: { case_no: 'SB-42' }, token: sys });
    assert.equal(one.body.visit, 1, JSON.stringify(one.body));

    const counter = await open('/counter', { width: 1366, height: 900 }, own);
    await counter.fill('#token', token);
    await counter.click('#signin-form button[type="submit"]');
    await live(counter);
    const second = await serve();
    await counter.waitForSelector('#case-card:not([hidden])');
    await waitText(counter, '#case-ticket', new RegExp(second.number));
    // Finished: the card keeps the ticket, so its number is typed now.
    await own.api('/counters/8/finish', { method: 'POST', body: {}, token });
    await counter.waitForSelector('#counter-state[data-state="open_idle"]');
    await waitText(counter, '#case-ticket', new RegExp(second.number));
    await counter.fill('#case-no', 'SB-42');
    await counter.click('#case-form button[type="submit"]');
    await waitText(counter, '#case-result', /第 2 次来办/);
    await counter.click('#lang-toggle');
    await waitText(counter, '#case-result', /2nd visit/);
    assert.deepEqual(counter.errors, []);

    // Rated at the pad (a 差评 with its reason): /admin lists its upload.
    const rated = await own.api('/counters/8/rating', { method: 'POST', body: { score: 1, reason: '办理效率低' }, token });
    assert.equal(rated.status, 200, JSON.stringify(rated.body));
    const admin = await open('/admin', undefined, own);
    await admin.fill('#token', own.token('--supervisor', 'zhao'));
    await admin.click('#signin-form button[type="submit"]');
    await admin.waitForSelector('#ratings-card:not([hidden])');
    await waitText(admin, '#uploads', new RegExp(second.number));
    await waitText(admin, `#uploads tr[data-ticket="${second.id}"]`, /办理效率低/);
    await waitText(admin, `#uploads tr[data-ticket="${second.id}"] .upload-state`, /待上报/);
    await waitText(admin, '#uploads-note', /upload_url/);
    // One case, two visits today: 0% done in one visit.
    await waitText(admin, '#cases', /合计\s*1\s*2\s*2\.00\s*0%/);
    // The day's figures: one rating, a 差评 not yet called back.
    await waitText(admin, '#rating-figures', /合计\s*1\s*0%\s*100%\s*0%\s*0%/);
    await waitText(admin, '#rating-figures', /8 号窗口\s*1\s*0%\s*100%/);
    assert.deepEqual(admin.errors, []);
    // A ticket that has a case already (attached by the business system,
    // then sent back to the queue): called from the page, its card shows
    // the number; the public stream never carried it.
    const third = await serve();
    const three = await own.api(`/tickets/${third.id}/case`, { method: 'POST', body: { case_no: 'SB-43' }, token: sys });
    assert.equal(three.status, 200, JSON.stringify(three.body));
    await own.api('/counters/8/requeue', { method: 'POST', body: {}, token });
    await counter.waitForSelector('#counter-state[data-state="open_idle"]');
    await counter.click('.act[data-cmd="call-next"]:not([disabled])');
    await waitText(counter, '#case-ticket', new RegExp(third.number));
    await counter.waitForFunction(() => document.querySelector('#case-no').value === 'SB-43');
    const shown = await counter.evaluate(() => JSON.stringify([...window.qcall.model.counters.values()].map((c) => c.current)));
    assert.doesNotMatch(shown, /SB-43/, 'the stream\'s tickets carry no case number');
    assert.deepEqual(counter.errors, []);
  } finally {
    await own.stop();
  }
});

test('the rectification list on /admin: each 差评 with its deadline, callback then fix, and the link to rate the fix', async () => {
  const own = await startHall();
  try {
    const token = own.token('--counter', '8');
    const taken = (await own.api('/tickets', { method: 'POST', body: { service: 'F' } })).body.ticket;
    await own.api('/counters/8/call-next', { method: 'POST', body: {}, token });
    await own.api('/counters/8/finish', { method: 'POST', body: {}, token });
    const rated = await own.api('/counters/8/rating', { method: 'POST', body: { score: 2, reason: '等候时间太长' }, token });
    assert.equal(rated.status, 200, JSON.stringify(rated.body));
    const boss = own.token('--supervisor', 'zhao');
    const expected = (await own.api('/rectifications', { token: boss })).body.items[0];

    const admin = await open('/admin', undefined, own);
    await admin.fill('#token', boss);
    await admin.click('#signin-form button[type="submit"]');
    await admin.waitForSelector('#rectify-card:not([hidden])');
    const item = `#rectify li[data-ticket="${taken.id}"]`;
    await waitText(admin, item, new RegExp(taken.number));
    await waitText(admin, `${item} .rx-deadline`, new RegExp(expected.deadline));
    await waitText(admin, item, /待回访/);
    await waitText(admin, item, /等候时间太长/);
    assert.equal(await admin.locator(`${item} form[data-step="fix"]`).count(), 0, 'no fix before the callback');

    await admin.fill(`${item} form[data-step="assign"] input`, 'zhao');
    await admin.click(`${item} form[data-step="assign"] button`);
    await waitText(admin, `${item} .rx-assignee`, /zhao/);
    await admin.fill(`${item} form[data-step="callback"] input`, '已电话致歉');
    await admin.click(`${item} form[data-step="callback"] button`);
    await waitText(admin, `${item} .rx-callback`, /已电话致歉/);
    await waitText(admin, item, /已回访，待整改/);
    await admin.fill(`${item} form[data-step="fix"] input`, '增派窗口人员');
    await admin.click(`${item} form[data-step="fix"] button`);
    await waitText(admin, `${item} .rx-fix`, /增派窗口人员/);
    await waitText(admin, item, /已整改，待评价/);

    // The applicant opens the link and rates the fix there.
    const href = await admin.locator(`${item} .rx-link`).getAttribute('href');
    const link = new URL(href);
    assert.equal(link.searchParams.get('k'), taken.ticket_key);
    const phone = await open(link.pathname + link.search, { width: 390, height: 844 }, own);
    await phone.waitForSelector('#fix-rate:not([hidden])');
    await phone.click('#fix-rate .rate-btn[data-score="4"]');
    await waitText(phone, '#fix-rate-done', /感谢/);
    await waitText(admin, `${item} .rx-fix-score`, /满意/);
    await waitText(admin, item, /已评价/);
    assert.deepEqual(admin.errors, []);
    assert.deepEqual(phone.errors, []);
  } finally {
    await own.stop();
  }
});
