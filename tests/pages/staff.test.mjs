// The staff's screens in headless Chromium against the real daemon: signing
// in with 工号 and password (wrong passwords, lockout), calling a specific
// number from /counter, the window screen above a counter, and the
// supervisor's actions on /admin (counters, alerts, a ticket's row, staff).
//
// Run: npm test --prefix tests/pages (after cargo build -p qcall).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

test('the counter calls a specific number with a reason; another counter\'s number is refused clearly; the call is audited', async () => {
  const own = await startHall();
  try {
    const take = async (service) => (await own.api('/tickets', { method: 'POST', body: { service } })).body.ticket;
    const first = await take('A');
    const second = await take('A');
    const other = await take('C'); // counter 1 serves A and B, not C
    const counter = await open('/counter', { width: 1366, height: 900 }, own);
    await counter.fill('#token', own.token('--counter', '1'));
    await counter.click('#signin-form button[type="submit"]');
    await live(counter);
    await counter.waitForSelector('.act[data-cmd="call"]:not([disabled])');
    await counter.keyboard.press('g');
    await counter.waitForSelector('#call-dialog[open]');
    await counter.fill('#call-number', other.number);
    await counter.fill('#call-reason', '叫号时不在');
    await counter.click('#call-form button[type="submit"]');
    await waitText(counter, '#call-error', `${other.number} 不在本窗口业务的等候队列中，不能在此叫号（主管可强制）`);
    assert.equal((await own.api(`/tickets/${other.id}`)).body.ticket.state, 'waiting', 'refused: nothing changed');
    await counter.fill('#call-reason', '');
    await counter.fill('#call-number', second.number.toLowerCase());
    await counter.click('#call-form button[type="submit"]');
    await waitText(counter, '#call-error', '请填写号码和原因');
    await counter.fill('#call-reason', '叫号时不在，现已到场');
    await counter.click('#call-form button[type="submit"]');
    await waitText(counter, '#cur-number', second.number);
    await waitText(counter, '#result', `已叫 ${second.number}`);
    assert.equal(await counter.locator('#call-dialog[open]').count(), 0, 'the dialog closed');
    assert.equal((await own.api(`/tickets/${first.id}`)).body.ticket.state, 'waiting', 'the first still waits');
    const audit = (await own.api('/audit', { token: own.token('--supervisor', 'li') })).body.audit;
    const row = audit.find((a) => a.action === 'call_number');
    assert.ok(row && row.detail.includes('叫号时不在，现已到场') && row.detail.includes(second.number), JSON.stringify(audit));
    assert.deepEqual(counter.errors, []);
    await counter.context().close();
  } finally {
    await own.stop();
  }
});

test('/window/{counter} follows calls live, shows the clerk\'s name and 工号 until they sign out, and says 暂停服务 when paused', async () => {
  const own = await startHall();
  try {
    own.staff('1041', '李娜', 'clerk', 's3cret-pass');
    const win = await open('/window/5', { width: 800, height: 480 }, own);
    await waitText(win, '#w-counter', '5号窗口');
    await waitText(win, '#w-state', '本窗口暂未开放');
    assert.equal(await win.textContent('#w-clerk'), '', 'nobody is named at a closed counter');
    const session = await own.api('/session', { method: 'POST', body: { staff: '1041', password: 's3cret-pass', counter: '5' } });
    assert.equal(session.status, 201);
    const token = session.body.token;
    const act = (action) => own.api(`/counters/5/${action}`, { method: 'POST', token, body: {} });
    assert.equal((await act('open')).status, 200);
    await waitText(win, '#w-clerk', '工作人员：李娜（工号 1041）');
    await waitText(win, '#w-state', '');
    const taken = (await own.api('/tickets', { method: 'POST', body: { service: 'C' } })).body.ticket;
    assert.equal((await act('call-next')).status, 200);
    await waitText(win, '#w-number', taken.number);
    assert.equal((await act('finish')).status, 200);
    await waitText(win, '#w-number', '—');
    assert.equal((await act('pause')).status, 200);
    await waitText(win, '#w-state', '暂停服务');
    await win.waitForSelector('body[data-state="paused"]');
    assert.equal(await win.textContent('#w-clerk'), '工作人员：李娜（工号 1041）');
    // Signed out: the screen stops naming her, and the counter stays paused.
    assert.equal((await own.api('/session', { method: 'DELETE', token })).status, 204);
    await waitText(win, '#w-clerk', '');
    assert.equal((await win.textContent('#w-state')).trim(), '暂停服务');
    assert.deepEqual(win.errors, []);
    await win.context().close();

    const res = await fetch(`${own.url}/window/99`);
    assert.equal(res.status, 404);
    const none = await open('/window/99', { width: 800, height: 480 }, own);
    await waitText(none, '#error', '没有 99 号窗口，请检查地址');
    await none.context().close();
  } finally {
    await own.stop();
  }
});

test('a supervisor opens a counter, acknowledges a guide alert and acts on a ticket\'s row on /admin', async () => {
  const own = await startHall();
  try {
    own.staff('2051', '王强', 'supervisor', 'boss-pass-1');
    const admin = await open('/admin', { width: 1366, height: 900 }, own);
    await admin.fill('#staff-id', '2051');
    await admin.fill('#password', 'boss-pass-1');
    await admin.click('#signin-form button[type="submit"]');
    await live(admin);
    await admin.click('#counters button[data-counter="6"][data-cmd="open"]');
    await waitText(admin, '#counter-result', '6号窗口：开窗');
    await admin.waitForSelector('#counters tr[data-state="open_idle"] button[data-counter="6"][data-cmd="pause"]');
    const six = (await own.api('/counters')).body.counters.find((c) => c.id === '6');
    assert.equal(six.state, 'open_idle');

    const raised = await own.api('/alerts', { method: 'POST', body: { kind: 'guide', source: 'kiosk-1' } });
    assert.equal(raised.status, 202);
    const id = raised.body.alert.id;
    assert.equal(typeof id, 'number');
    const row = `#alerts li:has(button[data-ack="${id}"])`;
    await admin.waitForSelector(row);
    await admin.fill(`${row} .ack-note`, '导办已到 kiosk-1');
    await admin.click(`${row} button[data-ack="${id}"]`);
    await waitText(admin, '#alerts .acked', /^已处理：王强 \(2051\)，\d\d:\d\d · 导办已到 kiosk-1$/);
    const boss = own.token('--supervisor', 'zhao');
    const listed = (await own.api('/alerts', { token: boss })).body.recent.find((a) => a.id === id);
    assert.equal(listed.ack.by, '王强 (2051)');
    assert.equal(listed.ack.note, '导办已到 kiosk-1');

    // From a ticket's row: cancel a waiting one, let a no-show back in.
    const take = async () => (await own.api('/tickets', { method: 'POST', body: { service: 'E' } })).body.ticket;
    const waiting = await take();
    await admin.fill('#find-number', waiting.number.toLowerCase());
    await admin.click('#find-form button[type="submit"]');
    await admin.click(`#found tr[data-ticket="${waiting.id}"] button[data-op="cancel"]`);
    await waitText(admin, '#find-result', `${waiting.number} 已取消`);
    await admin.waitForSelector(`#found tr[data-ticket="${waiting.id}"][data-state="cancelled"]`);
    assert.equal((await own.api(`/tickets/${waiting.id}`)).body.ticket.state, 'cancelled');
    const missed = await take();
    const seven = own.token('--counter', '7');
    assert.equal((await own.api('/counters/7/call-next', { method: 'POST', token: seven })).body.ticket.id, missed.id);
    assert.equal((await own.api('/counters/7/no-show', { method: 'POST', token: seven })).status, 200);
    await admin.fill('#find-number', missed.number);
    await admin.click('#find-form button[type="submit"]');
    await admin.click(`#found tr[data-ticket="${missed.id}"] button[data-op="reenter"]`);
    await waitText(admin, '#find-result', `${missed.number} 已重新排队`);
    assert.equal((await own.api(`/tickets/${missed.id}`)).body.ticket.state, 'waiting');
    await admin.fill('#find-number', 'Z999');
    await admin.click('#find-form button[type="submit"]');
    await waitText(admin, '#find-result', '今天没有 Z999 这个号');
    assert.deepEqual(admin.errors, []);
    await admin.context().close();
  } finally {
    await own.stop();
  }
});

test('staff sign in with 工号 and password: a wrong one says so, five lock the account, a clerk works at the chosen counter, a supervisor signs in on /admin and manages staff', async () => {
  hall.staff('1031', '孙丽', 'clerk', 'wrong-wrong-1');
  hall.staff('1032', '李娜', 'clerk', 's3cret-pass');
  hall.staff('2031', '王强', 'supervisor', 'boss-pass-1');
  const counter = await open('/counter');
  await counter.waitForSelector('#signin-counter option[value="2"]', { state: 'attached' });
  const attempt = async (id, password) => {
    await counter.fill('#staff-id', id);
    await counter.fill('#password', password);
    await counter.click('#signin-form button[type="submit"]');
  };
  await attempt('1031', 'not-my-password');
  await waitText(counter, '#signin-error', '工号或密码错误，请核对后重试');
  for (let i = 2; i <= 4; i++) {
    await counter.evaluate(() => (document.querySelector('#signin-error').textContent = ''));
    await attempt('1031', 'not-my-password');
    await waitText(counter, '#signin-error', /工号或密码错误/);
  }
  // No count of tries left: that would tell a real 工号 from an unknown one.
  assert.equal(await counter.textContent('#signin-error'), '工号或密码错误，请核对后重试');
  await attempt('1031', 'not-my-password');
  await waitText(counter, '#signin-error', /账号已锁定，请 15 分钟后再试/);
  // Locked: the right password waits too.
  await counter.evaluate(() => (document.querySelector('#signin-error').textContent = ''));
  await attempt('1031', 'wrong-wrong-1');
  await waitText(counter, '#signin-error', /账号已锁定/);
  assert.equal(await counter.isHidden('#desk'), true);

  // Another clerk at counter 2: the desk of counter 2, live.
  await counter.selectOption('#signin-counter', '2');
  await attempt('1032', 's3cret-pass');
  await live(counter);
  await waitText(counter, '#counter-name', '2号窗口');
  assert.equal(await counter.inputValue('#password'), '', 'the password is not kept on screen');
  const token = await counter.evaluate(() => localStorage.getItem('qcall.counter.token'));
  assert.equal((await hall.api('/whoami', { token })).body.subject, '2');
  // Signing out ends the session on the server.
  await counter.click('#sign-out');
  await counter.waitForSelector('#signin:not([hidden])');
  assert.equal((await hall.api('/whoami', { token })).status, 401, 'the session is signed out');
  assert.deepEqual(counter.errors, []);
  await counter.context().close();

  const admin = await open('/admin');
  await admin.fill('#staff-id', '1032');
  await admin.fill('#password', 's3cret-pass');
  await admin.click('#signin-form button[type="submit"]');
  await waitText(admin, '#signin-error', '需要主管令牌');
  await admin.fill('#staff-id', '2031');
  await admin.fill('#password', 'boss-pass-1');
  await admin.click('#signin-form button[type="submit"]');
  await waitText(admin, '#who', '主管：王强');
  await live(admin);
  // The supervisor adds a clerk, who can sign in, then disables them.
  await admin.fill('#new-id', '1033');
  await admin.fill('#new-name', '周敏');
  await admin.selectOption('#new-role', 'clerk');
  await admin.fill('#new-password', 'short');
  await admin.click('#staff-form button[type="submit"]');
  await waitText(admin, '#staff-result', /at least 8 characters/);
  await admin.fill('#new-password', 'first-pass-1');
  await admin.click('#staff-form button[type="submit"]');
  await waitText(admin, '#staff-result', '已添加 周敏（工号 1033）');
  await admin.waitForSelector('#staff-list tr[data-staff="1033"][data-state="active"]');
  const signIn = () => hall.api('/session', { method: 'POST', body: { staff: '1033', password: 'first-pass-1', counter: '3' } });
  assert.equal((await signIn()).status, 201);
  await admin.click('#staff-list tr[data-staff="1033"] button[data-op="disable"]');
  await admin.waitForSelector('#staff-list tr[data-staff="1033"][data-state="disabled"]');
  assert.equal((await signIn()).body.error.code, 'account_disabled');
  assert.deepEqual(admin.errors, []);
  await admin.context().close();
});
