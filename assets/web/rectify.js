// /admin's 差评整改 list: one item per 差评 (GET /api/v1/rectifications),
// each with its deadline in working days, who has it, the callback (回访)
// and the fix, and the form for its next step; the server decides what is
// due, what is overdue and refuses steps out of order. Kept apart from
// admin.js, which calls `rectifyInit` once signed in and `rectifyFrame`
// with each stream frame.

import { $, api, el, onLang, t } from './common.js';

let token = null;
let items = [];
let timer = null;

async function load() {
  try {
    items = (await api('/rectifications', { token })).items;
  } catch (e) {
    $('#rectify-note').textContent = e.message;
    return;
  }
  draw();
}

function stepText(s) {
  return s ? `${s.at.slice(5, 16).replace('T', ' ')} · ${s.by} · ${s.text}` : '–';
}

/** The form for an item's next step, or none once fixed. */
function nextStep(r) {
  const forms = [];
  const form = (what, label, field) => {
    const id = `rx-${what}-${r.ticket}`;
    const input = el('input', { id, type: 'text', maxlength: '500', required: '' });
    const f = el('form', { class: 'rx-form', dataset: { step: what } },
      el('label', { for: id }, t(label)), input,
      el('button', { type: 'submit' }, t(`rx_do_${what}`)));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api(`/rectifications/${r.ticket}/${what}`, { method: 'POST', body: { [field]: input.value.trim() }, token });
        await load();
      } catch (err) {
        $(`#rx-error-${r.ticket}`).textContent = err.message;
      }
    });
    forms.push(f);
  };
  if (!r.fix) form('assign', 'rx_assign_label', 'supervisor');
  if (!r.callback) form('callback', 'rx_callback_label', 'outcome');
  else if (!r.fix) form('fix', 'rx_fix_label', 'note');
  return forms;
}

function draw() {
  $('#rectify-note').textContent = items.length ? t('rx_count', { n: items.filter((r) => !r.fix).length }) : t('rx_none');
  $('#rectify').replaceChildren(...items.map((r) => el('li', { class: 'rx-item', dataset: { ticket: String(r.ticket), state: r.state, overdue: String(r.overdue) } },
    el('p', { class: 'rx-head' },
      el('strong', {}, r.number), ' ',
      el('span', {}, `${r.service}${r.counter ? ' · ' + t('rx_counter', { counter: r.counter }) : ''}`), ' ',
      el('span', { class: 'pill' }, t(`rate_${r.score}`)), ' ',
      el('span', { class: 'pill', dataset: { state: r.state } }, t(`rx_state_${r.state}`)),
      r.overdue ? el('span', { class: 'pill red' }, t('rx_overdue')) : ''),
    el('dl', { class: 'facts' },
      el('div', {}, el('dt', {}, t('rating_reason')), el('dd', {}, r.reason || '–')),
      el('div', {}, el('dt', {}, t('rx_deadline')), el('dd', { class: 'rx-deadline' }, r.deadline)),
      el('div', {}, el('dt', {}, t('rx_assignee')), el('dd', { class: 'rx-assignee' }, r.assignee || '–')),
      el('div', {}, el('dt', {}, t('rx_callback')), el('dd', { class: 'rx-callback' }, stepText(r.callback))),
      el('div', {}, el('dt', {}, t('rx_fix')), el('dd', { class: 'rx-fix' }, stepText(r.fix))),
      el('div', {}, el('dt', {}, t('rx_fix_score')), el('dd', { class: 'rx-fix-score' }, r.fix_score ? t(`rate_${r.fix_score}`) : '–')),
    ),
    r.fix && !r.fix_score ? el('p', { class: 'note' }, t('rx_link'), ' ', el('a', { href: r.fix_rating_url, class: 'rx-link' }, r.fix_rating_url)) : '',
    ...nextStep(r),
    el('p', { class: 'error', role: 'alert', id: `rx-error-${r.ticket}` }),
  )));
}

/** Shows the list, with the supervisor's token. */
export function rectifyInit(secret) {
  token = secret;
  $('#rectify-card').hidden = false;
  onLang(draw);
  load();
}

/** A stream frame: a new 差评, a step, or an overdue alert reload the list. */
export function rectifyFrame(f) {
  if (!token) return;
  if (!/^rectification_/.test(f.type) && !(f.type === 'alert' && f.kind === 'rectify')) return;
  clearTimeout(timer);
  timer = setTimeout(load, 300);
}
