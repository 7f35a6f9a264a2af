// The 好差评 form the pad (/rate/{counter}) and the phone page (/t/{id})
// share: the overall level, each indicator of the hall's set, and for a
// 差评 (2 or 1) a reason, picked or typed, without which nothing is sent.
// The set, its version and the reasons come from GET /api/v1/rating (the
// server decides; the server also refuses a 差评 without a reason).
//
// The section `root` holds `.rate-btn[data-score]` buttons, an empty
// `.rate-extra`, a `textarea` for the comment, a `.rate-send` button and a
// `.rate-error` line; ids inside are made from `root.id`.

import { api, bi, onLang, t } from './common.js';

let rules = null;

/** The hall's rating rules (fetched once per page). */
export async function ratingRules() {
  if (!rules) rules = await api('/rating');
  return rules;
}

/** Wires the form in `root`; `send(body)` posts it and resolves when taken. */
export async function ratingForm(root, send) {
  const r = await ratingRules();
  const extra = root.querySelector('.rate-extra');
  const sendBtn = root.querySelector('.rate-send');
  const errorLine = root.querySelector('.rate-error');
  const comment = root.querySelector('textarea');
  const poor = new Set(r.levels.filter((l) => l.poor).map((l) => l.score));
  let score = null;

  const ind = document.createElement('div');
  ind.className = 'rate-indicators';
  const reasonBox = document.createElement('fieldset');
  reasonBox.className = 'rate-reason';
  reasonBox.hidden = true;
  extra.replaceChildren(ind, reasonBox);

  function draw() {
    ind.replaceChildren(...r.indicators.map((i) => {
      const fs = document.createElement('fieldset');
      fs.className = 'rate-indicator';
      fs.dataset.indicator = i.code;
      const lg = document.createElement('legend');
      lg.textContent = bi(i.name);
      fs.append(lg);
      for (const l of r.levels) {
        const id = `${root.id}-${i.code}-${l.score}`;
        const input = Object.assign(document.createElement('input'), { type: 'radio', name: `${root.id}-${i.code}`, id, value: String(l.score) });
        const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: t(`rate_${l.score}`) });
        fs.append(input, label);
      }
      return fs;
    }));
    const legend = document.createElement('legend');
    legend.textContent = t('rate_reason');
    const picks = r.reasons.map((reason, n) => {
      const id = `${root.id}-reason-${n}`;
      const wrap = document.createElement('div');
      const input = Object.assign(document.createElement('input'), { type: 'radio', name: `${root.id}-reason`, id, value: reason.zh });
      const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: bi(reason) });
      wrap.append(input, label);
      return wrap;
    });
    const otherId = `${root.id}-reason-text`;
    const otherLabel = Object.assign(document.createElement('label'), { htmlFor: otherId, textContent: t('rate_reason_other') });
    const other = Object.assign(document.createElement('input'), { type: 'text', id: otherId, maxLength: 200, className: 'rate-reason-text' });
    reasonBox.replaceChildren(legend, ...picks, otherLabel, other);
  }
  draw();
  onLang(draw);

  function error(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function pick(s) {
    score = s;
    for (const b of root.querySelectorAll('.rate-btn')) b.setAttribute('aria-pressed', String(Number(b.dataset.score) === s));
    reasonBox.hidden = !poor.has(s);
    sendBtn.hidden = false;
    error('');
  }

  for (const b of root.querySelectorAll('.rate-btn')) {
    b.setAttribute('aria-pressed', 'false');
    b.addEventListener('click', () => pick(Number(b.dataset.score)));
  }
  sendBtn.hidden = true;

  sendBtn.addEventListener('click', async () => {
    if (score == null) return;
    const indicators = {};
    for (const fs of ind.querySelectorAll('.rate-indicator')) {
      const on = fs.querySelector('input:checked');
      if (on) indicators[fs.dataset.indicator] = Number(on.value);
    }
    const typed = reasonBox.querySelector('.rate-reason-text').value.trim();
    const picked = reasonBox.querySelector('input[type="radio"]:checked');
    const reason = poor.has(score) ? (typed || picked?.value || '') : '';
    if (poor.has(score) && !reason) {
      // The server would refuse it too (reason_required); say so here first.
      error(t('rate_reason_needed'));
      reasonBox.querySelector('input')?.focus();
      return;
    }
    try {
      await send({
        score,
        indicators,
        reason: reason || undefined,
        comment: comment.value.trim() || undefined,
      }, score);
      reset();
    } catch (e) {
      error(e.message);
    }
  });

  function reset() {
    score = null;
    comment.value = '';
    for (const i of extra.querySelectorAll('input[type="radio"]')) i.checked = false;
    reasonBox.querySelector('.rate-reason-text').value = '';
    for (const b of root.querySelectorAll('.rate-btn')) b.setAttribute('aria-pressed', 'false');
    reasonBox.hidden = true;
    sendBtn.hidden = true;
    error('');
  }
  return { reset };
}
