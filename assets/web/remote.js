// /r: queueing from home on the phone. Lists the services with their
// current wait and whether they take remote tickets now (the server
// decides, and says why not), shows a service's materials before taking
// one, sends a code to the phone and, with the code, takes the ticket and
// opens its page (/t/{id}?k=...), which shows the place and when to leave.

import { $, api, bi, el, hhmm, langButton, onLang, params, setLang, t, translate } from './common.js';

let list = null;
let hall = null;
let chosen = null;
let request = null;

function fail(err) {
  const e = $('#error');
  e.hidden = !err;
  e.textContent = err ? err.message : '';
}

function show(step) {
  for (const s of ['service', 'phone', 'code']) $(`#step-${s}`).hidden = s !== step;
}

// ---------------------------------------------------------------- booking

let bookRequest = null;
let bookSlot = null;

function tab(booking) {
  $('#tab-queue').setAttribute('aria-pressed', String(!booking));
  $('#tab-book').setAttribute('aria-pressed', String(booking));
  $('#book').hidden = !booking;
  if (booking) {
    for (const s of ['service', 'phone', 'code']) $(`#step-${s}`).hidden = true;
  } else show('service');
  fail(null);
}

function renderBookServices() {
  if (!list) return;
  const chosen = $('#b-service').value;
  $('#b-service').replaceChildren(...list.services.map((s) => el('option', { value: s.service, selected: s.service === chosen }, bi(s.name))));
}

async function loadSlots() {
  const service = $('#b-service').value;
  const date = $('#b-date').value;
  bookSlot = null;
  $('#b-slots').replaceChildren();
  $('#b-slots-none').hidden = true;
  if (!service || !date) return;
  try {
    const res = await api(`/bookings/slots?service=${encodeURIComponent(service)}&date=${encodeURIComponent(date)}`);
    $('#b-slots').replaceChildren(
      ...res.slots.map((s) =>
        el('button', {
          type: 'button',
          class: 'chip slot',
          dataset: { slot: s.slot },
          'aria-pressed': 'false',
          disabled: s.left === 0,
          onclick: (e) => {
            bookSlot = s.slot;
            for (const b of document.querySelectorAll('#b-slots .slot')) b.setAttribute('aria-pressed', String(b === e.currentTarget));
          },
        }, `${s.slot} · ${t('book_left', { n: s.left })}`),
      ),
    );
    $('#b-slots-none').hidden = res.slots.length > 0;
    $('#b-slots-none').textContent = res.why_not || t('book_no_slots');
  } catch (err) {
    fail(err);
  }
}

$('#tab-queue').addEventListener('click', () => tab(false));
$('#tab-book').addEventListener('click', () => tab(true));
$('#b-service').addEventListener('change', loadSlots);
$('#b-date').addEventListener('change', loadSlots);

$('#book-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  fail(null);
  if (!bookSlot) {
    fail({ message: t('book_pick_slot') });
    return;
  }
  try {
    const res = await api('/bookings', {
      method: 'POST',
      body: {
        service: $('#b-service').value,
        date: $('#b-date').value,
        slot: bookSlot,
        name: $('#b-name').value.trim(),
        id_number: $('#b-id').value.trim(),
        phone: $('#b-phone').value.trim(),
      },
    });
    bookRequest = res.request_id;
    $('#book-form').hidden = true;
    $('#book-code-form').hidden = false;
    $('#b-code').focus();
  } catch (err) {
    fail(err);
  }
});

$('#book-code-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  fail(null);
  try {
    const res = await api('/bookings/confirm', { method: 'POST', body: { request_id: bookRequest, code: $('#b-code').value.trim() } });
    $('#book-code-form').hidden = true;
    $('#booked').hidden = false;
    $('#booked-code').textContent = res.code;
    $('#booked-when').textContent = t('book_when', { date: res.slot.slice(0, 10), time: hhmm(res.slot), from: hhmm(res.checkin_from), until: hhmm(res.checkin_until) });
    // The ID number is not kept on the page either.
    $('#b-id').value = '';
  } catch (err) {
    fail(err);
    if (err.code === 'code_locked' || err.code === 'code_expired' || err.code === 'booking_refused') {
      $('#book-code-form').hidden = true;
      $('#book-form').hidden = false;
    }
  }
});

$('#cancel-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  fail(null);
  try {
    const res = await api(`/bookings/${encodeURIComponent($('#c-code').value.trim())}`, {
      method: 'DELETE',
      body: { phone_last4: $('#c-phone4').value.trim() },
    });
    $('#cancel-done').hidden = false;
    $('#cancel-done').textContent = t('book_cancelled', { date: res.slot.slice(0, 10), time: hhmm(res.slot) });
    loadSlots();
  } catch (err) {
    fail(err);
  }
});

function renderServices() {
  if (!list) return;
  $('#services').replaceChildren(
    ...list.services.map((s) =>
      el(
        'li',
        {},
        el(
          'button',
          { type: 'button', class: 'remote-service', 'data-service': s.service, disabled: !s.takes_remote, onclick: () => choose(s) },
          el('strong', {}, bi(s.name)),
          el('span', { class: 'small' }, t('remote_waiting', { n: s.waiting }), ' · ', t('est_wait'), ' ', el('span', { class: 'wait' }, bi(s.estimated_wait_text))),
          s.takes_remote ? el('span', { class: 'small' }, t('remote_left', { n: Math.max(0, s.per_hour - s.taken_this_hour) })) : el('span', { class: 'small why-not' }, s.why_not || ''),
        ),
      ),
    ),
  );
}

function choose(s) {
  chosen = s;
  fail(null);
  $('#chosen').textContent = bi(s.name);
  $('#materials').replaceChildren(...s.materials.map((m) => el('li', {}, bi(m))));
  show('phone');
  $('#phone').focus();
}

async function load() {
  try {
    list = await api('/remote/services');
    renderServices();
    renderBookServices();
  } catch (err) {
    fail(err);
  }
}

$('#back').addEventListener('click', () => {
  show('service');
  load();
});

$('#phone-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  fail(null);
  try {
    const phone = $('#phone').value.trim();
    const res = await api('/remote/start', { method: 'POST', body: { service: chosen.service, phone } });
    request = res.request_id;
    $('#code-sent').textContent = t('remote_code_sent', { phone: phone.slice(0, 3) + '****' + phone.slice(-4) });
    show('code');
    $('#code').focus();
  } catch (err) {
    fail(err);
  }
});

$('#code-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  fail(null);
  try {
    const res = await api('/remote/confirm', { method: 'POST', body: { request_id: request, code: $('#code').value.trim() } });
    const link = new URL(res.ticket.status_url, location.href);
    location.assign(link.pathname + link.search);
  } catch (err) {
    fail(err);
    if (err.code === 'code_locked' || err.code === 'code_expired') {
      show('phone');
    }
  }
});

async function init() {
  setLang(params.get('lang') || localStorage.getItem('qcall.lang') || (navigator.language.startsWith('zh') ? 'zh' : 'en'), false);
  langButton($('#lang-toggle'));
  translate(document);
  onLang(renderServices);
  onLang(renderBookServices);
  if (params.get('book') === '1') tab(true);
  hall = await api('/services').catch(() => null);
  if (hall) $('#hall-name').textContent = bi(hall.hall);
  onLang(() => hall && ($('#hall-name').textContent = bi(hall.hall)));
  await load();
}

init();
