// Test harness for the screens: starts the real `qcall` daemon on a temp
// database (the demo hall, open around the clock so a test never depends
// on the weekday, unless a test asks for the demo's own hours on a set
// clock), creates tokens with the real CLI, launches Debian's headless
// Chromium through playwright-core, and plays a receipt printer on
// 127.0.0.1 that records what it is sent.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.QCALL_BIN || join(ROOT, 'target/debug/qcall');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** The demo config with `hours` for every day (`[]` closes the hall;
 *  `null` keeps the demo's own hours and cut-off), `enforce` for
 *  `[hours] enforce`, `printers` mapping a printer id to a new `uri`, and
 *  `webhook` for `[notify] webhook` (the SMS gateway, see `fakeSms`).
 *  Options of `startHall`: these, `clock` (the hall's time, ms since the
 *  epoch: runs a `test-clock` build, see `clockBin`), bin (another qcall
 *  build), env. */
export function demoConfig({ hours = ['00:00-23:59'], cutoff = 0, enforce, printers = {}, webhook, dir = tmpdir() } = {}) {
  let text = readFileSync(join(ROOT, 'config/demo.toml'), 'utf8');
  // No speakers in page tests, and the demo's file printers write into the
  // test's temp dir, not the working tree.
  text = text.replace(/^enabled = true$/m, 'enabled = false');
  text = text.replace(/^pack = .*$/m, `pack = ${JSON.stringify(join(ROOT, 'assets/voice/default'))}`);
  text = text.replace(/file:var\//g, `file://${dir}/`);
  if (hours) {
    const list = '[' + hours.map((h) => JSON.stringify(h)).join(', ') + ']';
    for (const d of DAYS) text = text.replace(new RegExp(`^${d} = .*$`, 'm'), `${d} = ${list}`);
    text = text.replace(/^cutoff_minutes = .*$/m, `cutoff_minutes = ${cutoff}`);
  }
  if (enforce !== undefined) text = replaceOnce(text, /^enforce = .*$/m, `enforce = ${enforce}`);
  for (const [id, uri] of Object.entries(printers)) {
    text = replaceOnce(text, new RegExp(`^(id = ${JSON.stringify(id)}\\nuri = ).*$`, 'm'), `$1${JSON.stringify(uri)}`);
  }
  text = text.replace(/^kiosk_rate_per_minute = .*$/m, 'kiosk_rate_per_minute = 0');
  if (webhook) {
    text = replaceOnce(text, /^webhook = .*$/m, `webhook = ${JSON.stringify(webhook)}`);
    text = replaceOnce(text, /^retry_ms = .*$/m, 'retry_ms = 100');
  }
  return text;
}

function replaceOnce(text, re, to) {
  if (!re.test(text)) throw new Error(`the demo config has nothing matching ${re}`);
  return text.replace(re, to);
}

let clockBuilt = null;

/** A qcall built with the `test-clock` feature, whose clock starts at
 *  `QCALL_TEST_CLOCK_MS` and moves with `POST /api/v1/test/clock`. Built
 *  once per run next to the ordinary binary (as tests/e2e does), which is
 *  then rebuilt so the other tests keep theirs; `QCALL_CLOCK_BIN` names a
 *  ready one instead. */
export function clockBin() {
  if (process.env.QCALL_CLOCK_BIN) return process.env.QCALL_CLOCK_BIN;
  if (clockBuilt) return clockBuilt;
  const target = resolve(ROOT, process.env.CARGO_TARGET_DIR || 'target');
  const build = (...features) =>
    execFileSync(process.env.CARGO || 'cargo', ['build', '--quiet', '-p', 'qcall', '--bin', 'qcall', ...features], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  build('--features', 'test-clock');
  const bin = join(target, 'debug', 'qcall-test-clock');
  copyFileSync(join(target, 'debug', 'qcall'), bin);
  build();
  clockBuilt = bin;
  return bin;
}

/** A running daemon: `url`, `token(...)`, `api(...)`, `stop()`. */
export async function startHall(options = {}) {
  const bin = options.bin || (options.clock !== undefined ? clockBin() : BIN);
  if (!existsSync(bin)) throw new Error(`no qcall binary at ${bin}; run cargo build -p qcall first`);
  const dir = mkdtempSync(join(tmpdir(), 'qcall-pages-'));
  const config = join(dir, 'hall.toml');
  const db = join(dir, 'hall.db');
  writeFileSync(config, demoConfig({ ...options, dir }));
  const child = spawn(bin, ['serve', '--config', config, '--db', db, '--listen', '127.0.0.1:0'], {
    env: {
      ...process.env,
      RUST_LOG: 'warn',
      ...(options.clock !== undefined ? { QCALL_TEST_CLOCK_MS: String(options.clock) } : {}),
      ...(options.env || {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => fail(new Error('qcall did not start listening within 20 s')), 20000);
    lines.on('line', (line) => {
      const m = / listening on (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.on('exit', (code) => fail(new Error(`qcall exited with ${code} before listening`)));
  });
  const hall = {
    url,
    dir,
    /** `qcall token create ARGS`: the new secret. */
    token(...args) {
      const out = execFileSync(bin, ['token', 'create', '--config', config, '--db', db, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const secret = out.split('\n').find((l) => l.startsWith('qc_'));
      if (!secret) throw new Error(`no token in: ${out}`);
      return secret.trim();
    },
    /** `qcall staff add` with the password on standard input. */
    staff(id, name, role, password) {
      execFileSync(bin, ['staff', 'add', '--config', config, '--db', db, '--id', id, '--name', name, '--role', role, '--password-stdin'], { input: password + '\n', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    },
    /** A v1 API call: resolves to {status, body}. */
    async api(path, { method = 'GET', body, token } = {}) {
      const headers = {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`${url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async stop() {
      if (child.exitCode == null) {
        const exited = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return hall;
}

// Status bytes a printer answers to DLE EOT n (n = 1 printer, 2 offline
// cause, 4 paper roll), per the ESC/POS reference: bits 1 and 4 are always
// set; `paper_out` also sets offline (n=1 bit 3), "stopped by paper end"
// (n=2 bit 5) and "roll paper end" (n=4 bits 5 and 6).
const STATUS = {
  ready: { 1: 0x12, 2: 0x12, 4: 0x12 },
  paper_out: { 1: 0x1a, 2: 0x32, 4: 0x72 },
};

/**
 * A receipt printer on 127.0.0.1 (raw port, like port 9100): answers the
 * real-time status requests (DLE EOT n) as `state` says (`ready` or
 * `paper_out`, changeable), and keeps the bytes of every connection that
 * sent more than status requests as a job. `uri` for the config,
 * `nextJob()` for the next job's bytes, `jobs`, `close()`.
 */
export async function fakePrinter({ state = 'ready' } = {}) {
  const jobs = [];
  const waiting = [];
  const sockets = new Set();
  const printer = { state, jobs };
  const server = createServer((socket) => {
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    let job = null; // once a byte is not a status request, the rest is the job
    socket.on('data', (chunk) => {
      // `stall`: accepts the connection, reads, never answers.
      if (printer.state === 'stall') return;
      if (job) {
        job.push(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 3 && pending[0] === 0x10 && pending[1] === 0x04) {
        socket.write(Buffer.from([STATUS[printer.state][pending[2]] ?? 0x12]));
        pending = pending.subarray(3);
      }
      const partial = (pending.length === 1 && pending[0] === 0x10) || (pending.length === 2 && pending[0] === 0x10 && pending[1] === 0x04);
      if (pending.length && !partial) {
        job = [pending];
        pending = Buffer.alloc(0);
      }
    });
    socket.on('close', () => {
      sockets.delete(socket);
      if (!job) return;
      const bytes = Buffer.concat(job);
      jobs.push(bytes);
      waiting.shift()?.(bytes);
    });
    socket.on('error', () => {});
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  printer.uri = `tcp://127.0.0.1:${server.address().port}`;
  /** The bytes of the next job to finish (or of one that already has, unclaimed). */
  let claimed = 0;
  printer.nextJob = () => (claimed < jobs.length ? Promise.resolve(jobs[claimed++]) : new Promise((ok) => waiting.push((b) => (claimed++, ok(b)))));
  printer.close = () =>
    new Promise((ok) => {
      for (const s of sockets) s.destroy();
      server.close(ok);
    });
  return printer;
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Waits until `selector`'s text is `text` (a string or RegExp). */
export async function waitText(page, selector, text, timeout = 5000) {
  const source = text instanceof RegExp ? { re: text.source, flags: text.flags } : { eq: text };
  await page.waitForFunction(
    ([sel, src]) => {
      const e = document.querySelector(sel);
      if (!e) return false;
      const got = e.textContent.trim();
      return src.re ? new RegExp(src.re, src.flags).test(got) : got === src.eq;
    },
    [selector, source],
    { timeout, polling: 'raf' },
  );
}

/**
 * An SMS gateway on 127.0.0.1 that takes every message (200) and keeps its
 * JSON body: `url` for `[notify] webhook`, `next(pred)` for the next
 * message `pred` picks (or one already received), `close()`.
 */
export async function fakeSms() {
  const { createServer: createHttp } = await import('node:http');
  const messages = [];
  const waiting = [];
  const server = createHttp((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      const m = JSON.parse(body);
      messages.push(m);
      for (const w of waiting.splice(0)) if (!w(m)) waiting.push(w);
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/sms/send`,
    messages,
    next(pred) {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((ok) => waiting.push((m) => (pred(m) ? (ok(m), true) : false)));
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
}
