// /admin's 好差评 section: the day's 好评率, 差评率, 回访率 and 整改率 per
// service, counter, clerk and indicator (GET /stats), each rating's
// upload to the provincial platform
// (pending or delivered, GET /api/v1/ratings/uploads) and the day's visits
// per case (跑动次数, the one-visit share of 最多跑一次, from GET /stats).
// Kept apart from admin.js, which only calls `ratingsAdmin` once signed in
// and `ratingsFrame` with each stream frame.

import { $, api, el, t } from './common.js';

let token = null;
let timer = null;

function pct(x) {
  return x == null ? '–' : `${Math.round(x * 100)}%`;
}

async function loadUploads() {
  let u;
  try {
    u = await api('/ratings/uploads', { token });
  } catch (e) {
    $('#uploads-note').textContent = e.message;
    return;
  }
  $('#uploads-note').textContent = u.configured
    ? t('uploads_pending', { n: u.pending })
    : t('uploads_not_configured', { n: u.pending });
  $('#uploads').replaceChildren(...(u.uploads.length
    ? u.uploads.map((r) => el('tr', { dataset: { state: r.state, ticket: String(r.ticket) } },
      el('td', {}, r.queued_at.slice(11, 16)),
      el('td', {}, r.number),
      el('td', {}, r.service),
      el('td', { class: 'num' }, t(`rate_${r.score}`)),
      el('td', {}, r.reason || '–'),
      el('td', {}, t(`channel_${r.channel}`)),
      el('td', {}, r.case_no || '–'),
      el('td', { class: 'upload-state' }, t(`upload_${r.state}`)),
    ))
    : [el('tr', {}, el('td', { colspan: '8' }, t('uploads_none')))]));
}

async function loadCases() {
  const date = $('#date') && $('#date').value;
  let s;
  try {
    s = await api('/stats' + (date ? `?date=${date}` : ''), { token });
  } catch {
    return;
  }
  const row = (name, g) => el('tr', {},
    el('th', { scope: 'row' }, name),
    el('td', { class: 'num' }, String(g.cases)),
    el('td', { class: 'num' }, String(g.visits)),
    el('td', { class: 'num' }, g.visits_per_case == null ? '–' : g.visits_per_case.toFixed(2)),
    el('td', { class: 'num' }, pct(g.one_visit_share)),
  );
  const fig = (name, g) => el('tr', {},
    el('th', { scope: 'row' }, name),
    el('td', { class: 'num' }, String(g.rated)),
    el('td', { class: 'num' }, pct(g.good_rate)),
    el('td', { class: 'num' }, pct(g.poor_rate)),
    el('td', { class: 'num' }, pct(g.callback_rate)),
    el('td', { class: 'num' }, pct(g.rectified_rate)),
  );
  const r = s.ratings;
  const some = (list) => list.filter((g) => g.rated > 0);
  $('#rating-figures').replaceChildren(
    fig(t('cases_total'), r.total),
    ...some(r.services).map((g) => fig(t('figures_service', { id: g.service }), g)),
    ...some(r.counters).map((g) => fig(t('figures_counter', { id: g.counter }), g)),
    ...some(r.staff).map((g) => fig(t('figures_staff', { id: g.staff }), g)),
    ...some(r.indicators).map((g) => fig(t('figures_indicator', { id: g.indicator }), g)),
  );
  $('#cases').replaceChildren(
    row(t('cases_total'), s.cases.total),
    ...s.cases.services.filter((g) => g.cases > 0).map((g) => row(g.service, g)),
  );
}

/** Shows the section and loads it, with the supervisor's token. */
export function ratingsAdmin(secret) {
  token = secret;
  $('#ratings-card').hidden = false;
  loadUploads();
  loadCases();
  const date = $('#date');
  if (date) date.addEventListener('change', loadCases);
}

/** A stream frame: ratings, deliveries and cases change the section. */
export function ratingsFrame(f) {
  if (!token || !/^(ticket_rated|upload_delivered|case_attached)$/.test(f.type)) return;
  clearTimeout(timer);
  timer = setTimeout(() => {
    loadUploads();
    loadCases();
  }, 300);
}
