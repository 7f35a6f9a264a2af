// /rate/{counter}: the pad facing the applicant at a counter (好差评, the
// 评价器). The applicant picks a level, may rate each indicator of the
// hall's set, gives a reason for a 差评 (required), and sends it for the
// service the counter just finished; the server takes one rating per
// ticket and tells supervisors about a poor one. The pad then thanks the
// applicant and is ready for the next.

import { $, api, bi, langButton, onLang, t, translate } from './common.js';
import { ratingForm } from './rating-form.js';

const counter = decodeURIComponent(location.pathname.split('/').pop());
// The pad signs in once with its counter's token (kept in this browser), so
// nobody else on the hall's network can rate what this counter finished.
const KEY = `qcall.pad.${counter}.token`;
let token = localStorage.getItem(KEY) || '';

function needSetup(why = '') {
  $('#setup').hidden = false;
  $('#ask').hidden = true;
  $('#thanks').hidden = true;
  $('#setup-error').textContent = why;
  $('#setup-error').hidden = !why;
  $('#pad-token').focus();
}
const RESET_MS = 6000;
let reset = null;

function show(thanks, note = '') {
  $('#ask').hidden = thanks;
  $('#thanks').hidden = !thanks;
  $('#thanks-note').textContent = note;
}

function message(text) {
  const m = $('#message');
  m.textContent = text;
  m.hidden = !text;
}

async function rate(body, score) {
  clearTimeout(reset);
  try {
    const res = await api(`/counters/${encodeURIComponent(counter)}/rating`, { method: 'POST', body, token });
    message('');
    show(true, score <= 2 ? t('rate_sorry') : t('rate_ticket', { number: res.ticket.number }));
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      // Revoked, or never set: the applicant cannot fix that; staff can.
      localStorage.removeItem(KEY);
      token = '';
      needSetup(t('rate_setup_needed'));
      return;
    }
    if (e.code === 'nothing_to_rate') {
      message(t('rate_nothing'));
    } else {
      throw e;
    }
  }
  reset = setTimeout(() => {
    show(false);
    message('');
  }, RESET_MS);
}

async function init() {
  langButton($('#lang-toggle'));
  translate(document);
  onLang(() => translate(document));
  $('#setup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('#pad-token').value.trim();
    localStorage.setItem(KEY, token);
    $('#pad-token').value = '';
    $('#setup').hidden = true;
    show(false);
  });
  if (!token) needSetup();
  await ratingForm($('#ask'), rate);
  try {
    const { counters } = await api('/counters');
    const c = counters.find((c) => c.id === counter);
    $('#counter-name').textContent = c ? bi(c.name) : counter;
  } catch {
    // The name is a courtesy; rating works without it.
  }
}

init();
