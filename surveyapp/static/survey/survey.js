/*
 * The survey on the device: relevance, calculations, choice filters and validation with the
 * server's rules (SurveyExpr), one page at a time, a draft in localStorage, and submission to
 * the JSON API under one Idempotency-Key until stored. Interviews wait in an outbox.
 * Without it the page is a series of server-rendered forms. ES2017 (no ?. ??) for old WebViews.
 */
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const form = $('survey'), source = $('survey-definition');
  if (!form || !source || !window.SurveyExpr) return;
  const attr = (name) => form.getAttribute(name);
  const all = (selector, root) => [].slice.call((root || form).querySelectorAll(selector));
  const dict = () => Object.create(null);
  const own = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
  const fill = (text, params) => text.replace(/\{(\w+)\}/g, (m, k) => params[k]);

  const T = attr('data-lang') === 'en' ? {
    next: 'Next', submit: 'Submit', sending: 'Sending…', retry: 'Send again', upload: 'Upload now',
    check: 'Please check the highlighted questions.', closed: 'The survey has closed.',
    offline: 'No network. Your answers are kept on this phone and are sent when the network is back.',
    busy: 'The server is busy. Your answers are kept on this phone and are sent again shortly.',
    wait: 'no network: they upload when it is back', login: 'sign in again to upload',
    saved: 'Interview {n} saved, {m} to upload', sent: 'Interview {n} saved, all uploaded',
    refused: '{r} refused: {msg}', full: 'The phone\'s storage is full: not saved.'
  } : {
    next: '下一页', submit: '提交', sending: '正在提交…', retry: '重新提交', upload: '立即上传',
    check: '请检查标红的题目。', closed: '问卷已结束，不能再提交。',
    offline: '网络不可用，答卷已保存在本机，恢复网络后会自动重新提交',
    busy: '服务器繁忙，答卷已保存在本机，稍后会自动重新提交',
    wait: '网络不可用，恢复网络后会自动上传', login: '登录已失效，请重新登录后再上传',
    saved: '已保存第{n}份，待上传{m}份', sent: '已保存第{n}份，全部已上传',
    refused: '其中{r}份被退回：{msg}', full: '手机存储空间已满，答卷未能保存'
  };

  // --- the definition, every expression parsed once
  const def = JSON.parse(source.textContent), M = def.messages, formId = def.form_id;
  const interview = attr('data-mode') === 'interview', channel = attr('data-channel') || null;
  // Answered on this phone already: only an old copy of the page (offline) can still show the form.
  if (attr('data-one-per-device') === '1' && document.cookie.split('; ').indexOf('sa_done_' + formId + '=1') >= 0) {
    return location.replace(attr('data-thanks'));
  }
  const api = attr('data-api') + (attr('data-api').indexOf('?') < 0 ? '?' : '&') + 'lang=' + attr('data-lang');
  const DRAFT = ['sa_draft', formId, attr('data-mode')].concat(channel ? [channel] : []).join(':');
  // One outbox per field worker: on a shared tablet, interviews are uploaded
  // (and attributed) only while the worker who took them is signed in.
  const worker = attr('data-field-worker') || '';
  const OUTBOX = 'sa_outbox:' + formId + ':' + worker, COUNT = 'sa_count:' + formId + ':' + worker;
  const parse = (text) => text ? window.SurveyExpr.parse(text) : null;
  // Q: every question on the page by field name, a roster entry's as "member[2].m_age";
  // B: each question's definition by its own name (a roster entry's questions inherit it).
  const Q = dict(), B = dict(), R = dict();
  const top = [];
  def.questions.forEach((d) => {
    const q = B[d.name] = { name: d.name, type: d.type, page: d.page, d: d, choices: dict(),
      when: (d.relevant || []).map(parse), required: d.required === 'true()' || parse(d.required),
      constraint: parse(d.constraint), filter: parse(d.choice_filter), calc: parse(d.calculation) };
    (d.choices || []).forEach((c) => { q.choices[c.value] = c; });
    if (!d.repeat) top.push(Q[d.name] = q);
  });
  (def.repeats || []).forEach((d) => {
    R[d.name] = { name: d.name, roster: true, d: d, page: d.page, when: (d.relevant || []).map(parse),
      count: parse(d.count), entries: [], kept: [], vals: [] };
  });
  let list = top.slice();
  const order = def.order.filter((name) => Q[name]).map((name) => Q[name]);
  const steps = (def.steps || def.order).map((name) => R[name] || Q[name]).filter(Boolean);
  const answerable = (q) => q.type !== 'note' && q.type !== 'calculate';
  const multi = (q) => q.type === 'select_multiple' || q.type === 'rank';
  const tick = (el) => el.type === 'radio' || el.type === 'checkbox';
  const field = (name) => form.querySelector('input[name="' + name + '"]') || {};
  let state = { page: +field('_page').value || 0, key: field('_key').value, started: field('_started').value };

  // --- the page: every page in the form, carried answers read, inputs found
  const carried = dict();
  all('#carry input').forEach((i) => { (carried[i.name] = carried[i.name] || []).push(i.value); });
  all('#carry').forEach((c) => c.parentNode.removeChild(c));
  all('template[data-page]').forEach((t) => {
    const part = t.content ? document.importNode(t.content, true) : document.createDocumentFragment();
    while (!t.content && t.firstChild) part.appendChild(t.firstChild);
    t.parentNode.replaceChild(part, t);
  });
  const pages = [];
  all('section.page[data-page]').forEach((s) => { pages[+s.getAttribute('data-page')] = s; });
  const back = $('back'), next = $('next'), statusBox = $('status'), bar = form.querySelector('progress');
  const retryButton = Object.assign(document.createElement('button'),
    { type: 'button', id: 'retry', className: 'secondary', hidden: true, textContent: interview ? T.upload : T.retry });
  retryButton.style.width = '100%';
  statusBox.parentNode.insertBefore(retryButton, statusBox.nextSibling);

  function bind(q) {
    q.el = $('q-' + q.name);
    q.inputs = q.el ? all('input,select,textarea', q.el) : [];
    q.opts = []; // one per choice: {el, code, box (hidden when filtered out)}
    q.inputs.forEach((el) => {
      if (q.type === 'rank') q.opts.push({ el: el, code: el.name.slice(q.name.length + 1), box: el.parentNode });
      else if (tick(el)) q.opts.push({ el: el, code: el.value, box: el.parentNode });
      else if (el.tagName === 'SELECT') {
        all('option', el).forEach((o) => { if (o.value) q.opts.push({ el: o, code: o.value, box: o }); });
      }
    });
  }
  top.forEach(bind);

  // --- rosters: numbered entries; a changed roster is rebuilt from its entry template
  const MAX_ENTRIES = 50;

  function entry(r, n, el) {
    if (!el) {
      const holder = document.createElement('div');
      holder.innerHTML = r.proto.innerHTML.split('__N__').join(String(n));
      el = holder.firstElementChild;
      r.holder.appendChild(el);
    }
    const e = { el: el, n: n, Q: dict() };
    e.qs = r.d.questions.map((name) => {
      const q = Object.create(B[name]);
      Object.assign(q, { name: r.name + '[' + n + '].' + name, base: name, entry: e, roster: r, page: r.page });
      bind(q);
      return Q[q.name] = e.Q[name] = q;
    });
    e.order = r.d.order.map((name) => e.Q[name]);
    return e;
  }

  function entryRaw(e) {
    const raw = {};
    e.qs.forEach((q) => { const v = answerable(q) && read(q); if (!isEmpty(v)) raw[q.base] = v; });
    return raw;
  }

  function setEntries(r, raws) {
    r.entries.forEach((e) => { e.qs.forEach((q) => { delete Q[q.name]; }); r.holder.removeChild(e.el); });
    r.entries = raws.slice(0, MAX_ENTRIES).map((raw, i) => {
      const e = entry(r, i + 1, null);
      e.qs.forEach((q) => { if (answerable(q)) write(q, raw && own(raw, q.base) ? raw[q.base] : ''); });
      return e;
    });
    relist();
  }

  function relist() {
    list = top.slice();
    Object.keys(R).forEach((name) => {
      const r = R[name];
      r.entries.forEach((e) => { list = list.concat(e.qs); });
      if (r.empty) r.empty.hidden = r.entries.length > 0;
    });
  }

  function forget(r) { // touched and server errors of a roster's entries, whose numbers change
    [touched, serverErrors].forEach((marks) => {
      Object.keys(marks).forEach((k) => { if (k.indexOf(r.name + '[') === 0) delete marks[k]; });
    });
  }

  Object.keys(R).forEach((name) => {
    const r = R[name];
    r.box = $('q-' + name);
    if (!r.box) return delete R[name];
    r.holder = r.box.querySelector('.entries');
    r.proto = r.box.querySelector('template.entry-proto');
    r.empty = r.box.querySelector('.roster-empty');
    r.addButton = r.box.querySelector('button.add');
    r.entries = all('.entries > .entry', r.box).map((el, i) => entry(r, i + 1, el));
  });
  relist();
  Object.keys(carried).forEach((name) => {
    if (Q[name]) write(Q[name], multi(Q[name]) ? carried[name] : carried[name][0]);
  });

  // --- raw answers: a string, a list of codes, or true
  function read(q) {
    const ins = q.inputs;
    if (q.type === 'rank') {
      return q.opts.filter((o) => o.el.value).sort((a, b) => a.el.value - b.el.value).map((o) => o.code);
    }
    if (q.type === 'acknowledge') return ins[0] && ins[0].checked ? true : '';
    if (ins[0] && tick(ins[0])) {
      const on = ins.filter((i) => i.checked).map((i) => i.value);
      return q.type === 'select_multiple' ? on : on[0] || '';
    }
    return ins[0] ? ins[0].value : '';
  }

  function write(q, raw) {
    const values = Array.isArray(raw) ? raw : isEmpty(raw) ? [] : [String(raw)];
    if (q.type === 'rank') q.opts.forEach((o) => { o.el.value = values.indexOf(o.code) + 1 || ''; });
    else q.inputs.forEach((el) => {
      if (!tick(el)) el.value = values.length ? values[0] : '';
      else el.checked = q.type === 'acknowledge' ? values.length > 0 : values.indexOf(el.value) >= 0;
    });
  }

  function isEmpty(raw) {
    return raw == null || raw === false || (Array.isArray(raw) ? !raw.length : String(raw).trim() === '');
  }

  function rawAnswers() {
    const raw = {};
    top.forEach((q) => { const r = answerable(q) && read(q); if (!isEmpty(r)) raw[q.name] = r; });
    Object.keys(R).forEach((name) => { if (R[name].entries.length) raw[name] = R[name].entries.map(entryRaw); });
    return raw;
  }

  // --- the rules, in evaluation order
  let values, relevant, errors, touched = dict(), serverErrors = dict();
  // What expressions see: the response's values, and inside a roster entry that entry's first.
  const scope = (vals) => vals === values ? values : Object.assign(dict(), values, vals);
  const envIn = (vals, position) => (current, row) =>
    ({ answers: scope(vals), current: current, row: row, position: position });
  const env = (current, row) => ({ answers: values, current: current, row: row });

  function evaluate() {
    values = dict();
    relevant = dict();
    errors = dict();
    steps.forEach((step) => { if (step.roster) settleRoster(step); else settle(step, values, env); });
    // Constraints last, as they may use calculations that come later in the order.
    constraints(order, values, env);
  }

  function constraints(qs, vals, at) {
    qs.forEach((q) => {
      const key = q.base || q.name;
      if (q.constraint && relevant[q.name] && key in vals && !errors[q.name] &&
          !q.constraint.evaluateBool(at(vals[key]))) errors[q.name] = q.d.constraint_message || M.constraint;
    });
  }

  function settleRoster(r) {
    const on = relevant[r.name] = r.when.every((x) => x.evaluateBool(env()));
    if (r.count) {
      const n = window.SurveyExpr.toNumber(r.count.evaluate(env()));
      r.want = on ? (isFinite(n) && n > 0 ? Math.min(Math.floor(n), MAX_ENTRIES) : 0) : r.entries.length;
    }
    r.vals = on ? r.entries.map((e) => {
      const vals = dict(), at = envIn(vals, e.n);
      e.order.forEach((q) => settle(q, vals, at));
      constraints(e.order, vals, at);
      return vals;
    }) : [];
    // Outside the roster, each of its questions is the list of the entries' answers.
    values[r.name] = window.SurveyExpr.NodeSet(r.vals.map(() => ''));
    r.d.questions.forEach((name) => { values[name] = window.SurveyExpr.NodeSet(r.vals.map((v) => v[name])); });
  }

  function settle(q, vals, at) {
    const key = q.base || q.name;
    const on = relevant[q.name] = q.when.every((x) => x.evaluateBool(at()));
    if (!on || q.type === 'note') return;
    if (q.type === 'calculate') {
      const v = q.calc ? q.calc.evaluate(at()) : '';
      if (v !== '' && !(typeof v === 'number' && !isFinite(v))) vals[key] = v;
      return;
    }
    applyFilter(q, at);
    const raw = read(q);
    let result;
    if (!isEmpty(raw)) result = clean(q, raw);
    else if (q.required === true || (q.required && q.required.evaluateBool(at()))) {
      result = { error: q.d.required_message || M.required };
    }
    else return;
    if (result.error) errors[q.name] = result.error;
    else vals[key] = result.value;
  }

  // A roster with repeat_count gets as many entries as it asks for; answers of entries
  // cut off by a smaller count come back if the count grows again.
  function resize() {
    let changed = false;
    Object.keys(R).forEach((name) => {
      const r = R[name];
      if (!r.count || r.want == null || r.want === r.entries.length) return;
      const raws = r.entries.map(entryRaw);
      r.kept = raws.concat(r.kept.slice(raws.length));
      const wanted = [];
      for (let i = 0; i < r.want; i++) wanted.push(r.kept[i] || {});
      forget(r);
      setEntries(r, wanted);
      changed = true;
    });
    return changed;
  }

  function clean(q, raw) {
    const type = q.type;
    if (type === 'select_one' || type === 'acknowledge') return { value: raw };
    if (multi(q)) return cleanList(q, raw);
    // Full-width digits from Chinese keyboards are digits, as on the server.
    const text = String(raw).trim().replace(/[\uff10-\uff19\uff0b\uff0d\uff0e]/g,
      (c) => type === 'integer' || type === 'decimal' ? String.fromCharCode(c.charCodeAt(0) - 0xfee0) : c);
    if (type === 'integer') {
      const whole = /^[+-]?\d+$/.test(text) && text.length <= 18;
      return whole ? { value: parseInt(text, 10) } : { error: M.expected_integer };
    }
    if (type === 'decimal') {
      const number = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text) && text.length <= 30;
      return number ? { value: parseFloat(text) } : { error: M.expected_number };
    }
    if (type === 'date') return isDate(text) ? { value: text } : { error: M.expected_date };
    if (type === 'time') return TIME.test(text) ? { value: text } : { error: M.expected_time };
    if (type === 'datetime') {
      const at = text.replace(' ', 'T'), ok = isDate(at.slice(0, 10)) && DATETIME.test(at);
      return ok ? { value: at } : { error: M.expected_datetime };
    }
    if (type === 'range') return isFinite(text) && text !== '' ? { value: +text } : { error: M.expected_number };
    const limit = def.limits[q.d.multiline ? 'long' : 'short'], length = Array.from(text).length;
    return length > limit ? { error: fill(M.too_long, { limit: limit, length: length }) } : { value: text };
  }

  const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
  const DATETIME = /^\d{4}-\d\d-\d\dT([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$/;

  function isDate(text) {
    const date = new Date(text + 'T00:00:00Z');
    return /^\d{4}-\d\d-\d\d$/.test(text) && text.slice(0, 4) !== '0000' && !isNaN(date) &&
      date.toISOString().slice(0, 10) === text;
  }

  function cleanList(q, codes) {
    if (q.type === 'rank') {
      return codes.length === q.opts.filter((o) => !o.out).length ? { value: codes } : { error: M.expected_ranking };
    }
    const alone = codes.filter((c) => q.choices[c] && q.choices[c].exclusive)[0];
    return alone && codes.length > 1 ? { error: fill(M.exclusive_choice, q.choices[alone]) } : { value: codes };
  }

  function applyFilter(q, at) {
    if (q.filter) q.opts.forEach((o) => {
      const choice = q.choices[o.code] || { columns: {} }, row = { name: o.code, label: choice.label || '' };
      Object.keys(choice.columns).forEach((k) => { row[k] = choice.columns[k]; });
      // An or_other "other" is always offered, as on the server.
      const other = o.code === 'other' && !!q.d.or_other;
      o.out = o.el.out = o.box.hidden = !(other || q.filter.evaluateBool(at(undefined, row)));
      if (o.el.tagName === 'OPTION') {
        o.el.disabled = o.out;
        if (o.out && o.el.selected) o.el.parentNode.value = '';
      } else if (o.out) write({ type: q.type, inputs: [o.el], opts: [o] }, '');
    });
  }

  // --- showing the state
  function render() {
    list.forEach((q) => {
      if (!q.el) return;
      const on = !!relevant[q.name];
      q.el.hidden = !on;
      q.inputs.forEach((i) => { i.disabled = !on || !!i.out; });
      if (answerable(q)) showError(q, on && (serverErrors[q.name] || (touched[q.name] && errors[q.name])) || '');
    });
    all('.matrix[data-group], fieldset.group').forEach((box) => {
      box.hidden = !box.querySelector('.q[data-name]:not([hidden])');
    });
    Object.keys(R).forEach((name) => {
      const r = R[name], on = !!relevant[name];
      r.box.hidden = !on;
      const p = $('err-' + name), text = on && serverErrors[name] || '';
      if (p) {
        p.textContent = text;
        p.hidden = !text;
      }
    });
    references();
    navigation();
  }

  // ${name} in labels: the earlier answer as it reads (a choice's label), inside an entry its sibling's.
  function references() {
    all('span.ref[data-ref]').forEach((span) => {
      const name = span.getAttribute('data-ref'), box = span.closest('.entry[data-entry]');
      const r = box && R[(box.closest('[data-repeat]') || {}).getAttribute('data-repeat')];
      const vals = r && B[name] && B[name].d.repeat === r.name ? r.vals[+box.getAttribute('data-entry') - 1] || {} : values;
      const text = shownText(name, vals[name]);
      if (span.textContent !== text) span.textContent = text;
    });
  }

  function shownText(name, v) {
    const choices = B[name] ? B[name].choices : {};
    const items = v instanceof window.SurveyExpr.NodeSet ? v.nodes : Array.isArray(v) ? v : v == null ? [] : [v];
    return items.filter((x) => x !== '' && x != null).map((x) => {
      const c = choices[String(x)];
      return c ? c.label : String(x);
    }).join('、');
  }

  function showError(q, text) {
    const p = $('err-' + q.name);
    if (p && p.textContent !== text) p.textContent = text;
    if (p) p.hidden = !text;
    q.el.classList[text ? 'add' : 'remove']('invalid');
    q.inputs.forEach((i) => {
      if (text) i.setAttribute('aria-invalid', 'true');
      else i.removeAttribute('aria-invalid');
    });
  }

  function status(text, warn) {
    statusBox.textContent = text;
    statusBox.className = warn ? 'summary' : 'status';
  }

  function visiblePages() {
    const seen = [];
    list.concat(Object.keys(R).map((name) => R[name])).forEach((q) => {
      if (relevant[q.name] && q.type !== 'calculate' && q.page != null && seen.indexOf(q.page) < 0) seen.push(q.page);
    });
    return seen.sort((a, b) => a - b);
  }

  function navigation() {
    const shown = visiblePages(), at = shown.indexOf(state.page) + 1 || 1, total = shown.length || 1;
    const last = !shown.length || state.page >= shown[shown.length - 1];
    if (bar) {
      bar.max = total;
      bar.value = at;
    }
    all('.step').forEach((s) => { s.textContent = at + ' / ' + total; });
    back.hidden = at <= 1;
    next.textContent = last ? T.submit : T.next;
    next.value = last ? 'submit' : 'next';
  }

  function go(index) {
    state.page = index;
    pages.forEach((section, i) => { section.hidden = i !== index; });
    field('_page').value = index;
    all('.summary[role=alert]').forEach((s) => s.parentNode.removeChild(s));
    navigation();
    save();
    window.scrollTo(0, 0);
  }

  function focusOn(q) {
    if (q.page !== state.page) go(q.page);
    const input = q.inputs.filter((i) => !i.disabled)[0];
    if (input) input.focus({ preventScroll: true });
    q.el.scrollIntoView({ block: 'center' });
  }

  function update() {
    evaluate();
    if (resize()) evaluate();
    render();
    save();
  }

  // --- the draft and the outbox, in localStorage
  function load(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }

  function store(key, data) {
    try {
      if (data == null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(data));
      return true;
    } catch (e) { return false; }
  }

  function save() {
    if (finished) return;
    store(DRAFT, Object.assign({ answers: rawAnswers() }, state)); // page, key, started, pending
  }

  function newKey() {
    const bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else bytes.forEach((b, i) => { bytes[i] = Math.random() * 256; });
    return Array.from(bytes, (b) => (b + 256).toString(16).slice(1)).join('');
  }

  // --- moving on, and finishing
  function wrongOn(page) {
    evaluate();
    const wrong = list.filter((q) => {
      if (page != null && q.page !== page) return false;
      if (relevant[q.name]) touched[q.name] = true;
      return errors[q.name];
    });
    render();
    if (wrong.length) focusOn(wrong[0]);
    return wrong.length;
  }

  function onNext(event) {
    event.preventDefault();
    if (sending || wrongOn(state.page)) return;
    const later = visiblePages().filter((p) => p > state.page);
    if (later.length) go(later[0]);
    else complete();
  }

  function onBack(event) {
    event.preventDefault();
    go(visiblePages().filter((p) => p < state.page).pop() || 0);
  }

  function complete() {
    if (wrongOn(null)) return;
    if (interview) keepInterview();
    else submit();
  }

  function answers() {
    const out = {};
    top.forEach((q) => { if (answerable(q) && relevant[q.name] && q.name in values) out[q.name] = values[q.name]; });
    Object.keys(R).forEach((name) => {
      const r = R[name];
      if (!relevant[name]) return;
      out[name] = r.entries.map((e, i) => {
        const entryAnswers = {};
        e.qs.forEach((q) => {
          if (answerable(q) && relevant[q.name] && q.base in r.vals[i]) entryAnswers[q.base] = r.vals[i][q.base];
        });
        return entryAnswers;
      });
    });
    return out;
  }

  // POSTs one response; done(kind, reply, status) with kind 'stored', 'later' (no network, 5xx, 429),
  // 'login' (401), 'refused' (422 with field errors) or 'failed' (anything else).
  function send(body, key, done) {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', api);
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.setRequestHeader('Idempotency-Key', key);
    xhr.timeout = 30000;
    xhr.onloadend = () => {
      const code = xhr.status;
      let reply = {};
      try { reply = JSON.parse(xhr.responseText) || {}; } catch (e) { reply = {}; }
      // A reused key means an earlier attempt was stored and only its reply was lost.
      const reused = code === 422 && reply.error && reply.error.code === 'key_reused';
      const retryable = !code || code >= 500 || code === 429 || code === 408;
      done(code === 200 || code === 201 || reused ? 'stored' : retryable ? 'later'
        : code === 401 ? 'login' : code === 422 && reply.errors ? 'refused' : 'failed', reply, code);
    };
    xhr.send(JSON.stringify(body));
  }

  function problem(reply, code) {
    if (reply.errors) return reply.errors.map((e) => (Q[e.field] ? '' : e.field + ': ') + e.message).join('；');
    return code === 409 ? T.closed : reply.error && reply.error.message || 'HTTP ' + code;
  }

  // Self-completion: one response, sent until the server has it.
  let sending = false, finished = false, attempt = 0, timer = null;

  function submit() {
    const body = { answers: answers(), started_at: state.started };
    if (channel) body.channel = channel;
    state.pending = sending = next.disabled = true;
    retryButton.hidden = true;
    save();
    status(T.sending);
    send(body, state.key, (kind, reply, code) => {
      sending = next.disabled = false;
      if (kind === 'stored') return thanks();
      if (kind === 'later') return later(code ? T.busy : T.offline);
      state.pending = false;
      save();
      if (kind === 'refused') refused(reply.errors);
      else status(problem(reply, code), true);
    });
  }

  function refused(list422) {
    const other = [];
    serverErrors = dict();
    list422.forEach((e) => {
      if (Q[e.field] && Q[e.field].el && relevant[e.field] || R[e.field] && relevant[e.field]) {
        serverErrors[e.field] = e.message;
      }
      else other.push((Q[e.field] ? '' : e.field + ': ') + e.message);
    });
    render();
    status(other.length ? other.join('；') : T.check, true);
    const first = list.filter((q) => serverErrors[q.name])[0];
    if (first) focusOn(first);
    else Object.keys(R).forEach((name) => { if (serverErrors[name] && R[name].page !== state.page) go(R[name].page); });
  }

  function thanks() {
    if (attr('data-one-per-device') === '1') {
      document.cookie = 'sa_done_' + formId + '=1; path=/s/' + formId + '; max-age=' + 180 * 86400 + '; SameSite=Lax';
    }
    finished = true;
    store(DRAFT, null);
    status('');
    location.replace(attr('data-thanks'));
  }

  function later(text) {
    if (text) status(text, true);
    retryButton.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(retry, Math.min(60000, 2000 * Math.pow(2, attempt++)));
  }

  function retry(everything) {
    clearTimeout(timer);
    if (interview) flush(everything === true);
    else if (state.pending && !sending && !finished) complete();
  }

  // Interviews: each finished one goes to the outbox, and the form starts afresh at once.
  let flushing = false;

  function keepInterview() {
    const box = load(OUTBOX) || [], entry = { key: state.key, started_at: state.started, answers: answers() };
    if (channel) entry.channel = channel;
    box.push(entry);
    if (!store(OUTBOX, box)) return status(T.full, true);
    store(COUNT, (load(COUNT) || 0) + 1);
    top.forEach((q) => { if (answerable(q)) write(q, ''); });
    Object.keys(R).forEach((name) => { R[name].kept = []; setEntries(R[name], []); });
    touched = dict();
    serverErrors = dict();
    state = { page: 0, key: newKey(), started: new Date().toISOString(), pending: false };
    field('_key').value = state.key;
    field('_started').value = state.started;
    update();
    go(visiblePages()[0] || 0);
    report();
    flush(false);
  }

  function report(note) {
    const box = load(OUTBOX) || [], n = load(COUNT) || 0, bad = box.filter((e) => e.error);
    if (!n && !box.length) return;
    let text = fill(box.length ? T.saved : T.sent, { n: n, m: box.length });
    if (bad.length) text += '；' + fill(T.refused, { r: bad.length, msg: bad[0].error });
    status(text + (note ? '（' + note + '）' : ''), note || bad.length);
    retryButton.hidden = !box.length;
  }

  function flush(everything) {
    const tried = {};
    if (flushing) return;
    flushing = true;
    (function one() {
      const entry = (load(OUTBOX) || []).filter((e) => !tried[e.key] && (everything || !e.error))[0];
      if (!entry) {
        flushing = false;
        return report();
      }
      tried[entry.key] = true;
      const body = { answers: entry.answers, mode: 'interview', started_at: entry.started_at };
      if (entry.channel) body.channel = entry.channel;
      send(body, entry.key, (kind, reply, code) => {
        if (kind === 'later' || kind === 'login') {
          // Kept for later: no network, or the field worker must sign in again.
          flushing = false;
          report(kind === 'login' ? T.login : T.wait);
          if (kind === 'later') later('');
          return;
        }
        attempt = 0;
        // Stored: out of the outbox. Refused: kept with the reason, and not sent again by itself.
        store(OUTBOX, (load(OUTBOX) || []).filter((e) => e.key !== entry.key || kind !== 'stored').map((e) => {
          if (e.key === entry.key) e.error = problem(reply, code);
          return e;
        }));
        one();
      });
    })();
  }

  // --- events
  function questionOf(el) {
    for (; el && el !== form; el = el.parentNode) {
      if (el.getAttribute && el.getAttribute('data-name')) return Q[el.getAttribute('data-name')];
    }
    return null;
  }

  function changed(q) {
    delete serverErrors[q.name];
    update();
  }

  form.addEventListener('change', (event) => {
    const box = event.target, q = questionOf(box);
    if (!q) return;
    if (q.type === 'select_multiple' && box.checked) {
      // An exclusive choice ("none of these") clears the others, and the others clear it.
      const alone = box.hasAttribute('data-exclusive');
      q.inputs.forEach((i) => { if (i !== box && (alone || i.hasAttribute('data-exclusive'))) i.checked = false; });
    }
    if (q.type === 'rank' && box.value) { // each position once: taken from the choice that had it
      q.opts.forEach((o) => { if (o.el !== box && o.el.value === box.value) o.el.value = ''; });
    }
    touched[q.name] = true;
    changed(q);
  });
  const typed = (el) => !tick(el) && el.tagName !== 'SELECT';
  form.addEventListener('input', (event) => {
    const q = questionOf(event.target);
    if (q && typed(event.target)) changed(q);
  });
  form.addEventListener('focusout', (event) => {
    const q = questionOf(event.target);
    if (q && typed(event.target) && !touched[q.name]) {
      touched[q.name] = true;
      update();
    }
  });
  form.addEventListener('keydown', (event) => {
    // Enter in a text box would "click" the first submit button: Back.
    if ((event.key === 'Enter' || event.keyCode === 13) && event.target.tagName === 'INPUT') event.preventDefault();
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  // A roster's 添加 and 删除 buttons, on the device.
  form.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('button[name="_add"],button[name="_remove"]');
    if (!button) return;
    event.preventDefault();
    const parts = button.value.split(':'), r = R[parts[0]];
    if (!r || r.count) return;
    const raws = r.entries.map(entryRaw);
    if (button.name === '_add') {
      if (raws.length >= MAX_ENTRIES) return;
      setEntries(r, raws.concat([{}]));
      update();
      // The new entry is announced and brought into view, without opening the keyboard.
      const added = r.entries[r.entries.length - 1].el;
      added.setAttribute('tabindex', '-1');
      added.focus({ preventScroll: true });
      added.scrollIntoView({ block: 'start' });
    } else {
      raws.splice(+parts[1] - 1, 1);
      forget(r);
      setEntries(r, raws);
      update();
      if (r.addButton) r.addButton.focus();
    }
  });
  next.addEventListener('click', onNext);
  back.addEventListener('click', onBack);
  retryButton.addEventListener('click', () => { attempt = 0; retry(true); });
  window.addEventListener('online', () => { attempt = 0; retry(); });

  // --- start: a draft comes back on its page
  const draft = load(DRAFT);
  if (draft && draft.answers && (draft.key === state.key || !Object.keys(rawAnswers()).length)) {
    top.forEach((q) => { if (answerable(q)) write(q, own(draft.answers, q.name) ? draft.answers[q.name] : ''); });
    Object.keys(R).forEach((name) => {
      const saved = draft.answers[name];
      setEntries(R[name], own(draft.answers, name) && Array.isArray(saved) ? saved : []);
    });
    state = { page: draft.page || 0, key: draft.key || state.key, started: draft.started || state.started,
      pending: draft.pending };
    field('_key').value = state.key;
    field('_started').value = state.started;
  }
  list.forEach((q) => { // errors the server rendered stay shown while they last
    if (($('err-' + q.name) || {}).textContent) touched[q.name] = true;
  });
  evaluate();
  if (resize()) evaluate();
  render();
  const shown = visiblePages();
  go(shown.indexOf(state.page) >= 0 ? state.page : shown[0] || 0);
  if (interview) report();
  if (interview || state.pending) retry();

  // Offline use: a service worker keeps this page and its assets, where there is one.
  try {
    const workers = navigator.serviceWorker, through = workers && workers.controller;
    if (workers) {
      workers.register('/s/sw.js', { scope: '/s/' }).then(() => workers.ready).then((reg) => {
        // A page that did not come through the worker (the first visit) asks it to keep a copy.
        if (!through && reg.active) reg.active.postMessage({ cache: location.href });
      }).catch(() => {});
    }
  } catch (e) { /* not allowed here: the page works online */ }
})();
