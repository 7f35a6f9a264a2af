// Test harness for the screens: starts the real `qcall` daemon on a temp
// database (the demo hall, open around the clock so a test never depends
// on the weekday), creates tokens with the real CLI, and launches Debian's
// headless Chromium through playwright-core.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.QCALL_BIN || join(ROOT, 'target/debug/qcall');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** The demo config with `hours` for every day (`[]` closes the hall).
 *  Options of `startHall`: hours, cutoff, bin (another qcall build), env. */
export function demoConfig({ hours = ['00:00-23:59'], cutoff = 0, dir = tmpdir() } = {}) {
  let text = readFileSync(join(ROOT, 'config/demo.toml'), 'utf8');
  // No speakers in page tests, and the demo's file printers write into the
  // test's temp dir, not the working tree.
  text = text.replace(/^enabled = true$/m, 'enabled = false');
  text = text.replace(/^pack = .*$/m, `pack = ${JSON.stringify(join(ROOT, 'assets/voice/default'))}`);
  text = text.replace(/file:var\//g, `file://${dir}/`);
  const list = '[' + hours.map((h) => JSON.stringify(h)).join(', ') + ']';
  for (const d of DAYS) text = text.replace(new RegExp(`^${d} = .*$`, 'm'), `${d} = ${list}`);
  text = text.replace(/^cutoff_minutes = .*$/m, `cutoff_minutes = ${cutoff}`);
  text = text.replace(/^kiosk_rate_per_minute = .*$/m, 'kiosk_rate_per_minute = 0');
  return text;
}

/** A running daemon: `url`, `token(...)`, `api(...)`, `stop()`. */
export async function startHall(options = {}) {
  const bin = options.bin || BIN;
  if (!existsSync(bin)) throw new Error(`no qcall binary at ${bin}; run cargo build -p qcall first`);
  const dir = mkdtempSync(join(tmpdir(), 'qcall-pages-'));
  const config = join(dir, 'hall.toml');
  const db = join(dir, 'hall.db');
  writeFileSync(config, demoConfig({ ...options, dir }));
  const child = spawn(bin, ['serve', '--config', config, '--db', db, '--listen', '127.0.0.1:0'], {
    env: { ...process.env, RUST_LOG: 'warn', ...(options.env || {}) },
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
