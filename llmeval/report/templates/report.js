// llmeval report. Every value from the run is data: it reaches the page through
// textContent, setAttribute or option.value only (the CSP's Trusted Types rule makes
// any HTML sink throw), and invisible characters are shown as visible markers.
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('data').textContent);
  var ROWS = D.rows || [];
  var PREVIEW = D.preview || 4096;
  var HAS_BASE = !!D.base;
  var TEXTS = D.texts || [];
  var SVGNS = 'http://www.w3.org/2000/svg';
  var STATUS_ORDER = ['fail', 'error', 'pass', 'skipped', 'not_run', 'removed'];
  var CHANGE_ORDER = ['regressed', 'errored', 'new', 'flaky', 'fixed', 'removed', 'unchanged'];
  var JUDGE_TYPES = /rubric|factuality|pairwise|judge|model-graded|g-eval|closedqa/i;
  var INVIS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB\u{E0000}-\u{E007F}]/gu;
  var URLS = /\bhttps?:\/\/[^\s<>"'`]+/g;
  var byKey = new Map();
  ROWS.forEach(function (r, i) { r._i = i; byKey.set(r.k, r); });

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function marker(ch) {
    var h = ch.codePointAt(0).toString(16).toUpperCase();
    while (h.length < 4) h = '0' + h;
    return '\u27E8U+' + h + '\u27E9';
  }
  // Plain-string form, for places that cannot hold markup (options, SVG text).
  function visStr(s) { return String(s == null ? '' : s).replace(INVIS, marker); }
  // Appends text to parent; invisible characters become marked spans, http(s) URLs
  // become links when asked, ids (breaks) may wrap only after a separator (a <wbr>
  // element, as html.py's |id filter does). Nothing here ever parses HTML.
  function addText(parent, s, links, breaks) {
    s = String(s == null ? '' : s);
    var last = 0, m;
    INVIS.lastIndex = 0;
    while ((m = INVIS.exec(s)) !== null) {
      addSegment(parent, s.slice(last, m.index), links, breaks);
      var span = el('span', 'cc', marker(m[0]));
      span.title = 'invisible character ' + marker(m[0]);
      parent.appendChild(span);
      last = m.index + m[0].length;
    }
    addSegment(parent, s.slice(last), links, breaks);
    return parent;
  }
  function addId(parent, s) { return addText(parent, s, false, true); }
  var BREAK_AFTER = /[-\/_.@]/g;
  function addBreakable(parent, s) {
    var last = 0, m;
    BREAK_AFTER.lastIndex = 0;
    while ((m = BREAK_AFTER.exec(s)) !== null) {
      parent.appendChild(document.createTextNode(s.slice(last, m.index + 1)));
      parent.appendChild(document.createElement('wbr'));
      last = m.index + 1;
    }
    if (last < s.length) parent.appendChild(document.createTextNode(s.slice(last)));
  }
  function addSegment(parent, s, links, breaks) {
    if (!s) return;
    if (breaks) { addBreakable(parent, s); return; }
    if (!links) { parent.appendChild(document.createTextNode(s)); return; }
    var last = 0, m;
    URLS.lastIndex = 0;
    while ((m = URLS.exec(s)) !== null) {
      var url = m[0].replace(/[.,;:!?)\]}]+$/, '');
      var href = safeHref(url);
      if (!href) continue;
      parent.appendChild(document.createTextNode(s.slice(last, m.index)));
      var a = el('a', 'ext', url);
      a.href = href;
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      parent.appendChild(a);
      last = m.index + url.length;
      URLS.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(s.slice(last)));
  }
  function safeHref(u) {
    try {
      var p = new URL(u);
      return p.protocol === 'http:' || p.protocol === 'https:' ? p.href : null;
    } catch (e) { return null; }
  }
  // A long field is [text, omitted] in the data; a short one a plain string.
  function T(v) {
    if (v == null) return { text: null, omitted: 0 };
    if (Array.isArray(v)) return { text: String(v[0]), omitted: v[1] || 0 };
    return { text: String(v), omitted: 0 };
  }
  function baseOut(r) { return r.bs ? r.o : r.bo; }
  // vars and details arrive as compact JSON; indent them for reading when whole.
  function pretty(v) {
    var t = T(v);
    if (t.omitted || !t.text || !/^[[{]/.test(t.text)) return v;
    try { return JSON.stringify(JSON.parse(t.text), null, 2); } catch (e) { return v; }
  }
  function fmtNum(v) { return typeof v === 'number' ? v.toLocaleString('en-US') : '\u2013'; }
  function fmtScore(v) { return typeof v === 'number' ? v.toFixed(3) : '\u2013'; }
  function fmtMs(v) {
    if (typeof v !== 'number') return '\u2013';
    return v >= 1000 ? (v / 1000).toFixed(2) + ' s' : Math.round(v) + ' ms';
  }
  function fmtUsd(v) {
    if (typeof v !== 'number') return '\u2013';
    return '$' + (Math.abs(v) < 1 ? v.toFixed(4) : v.toFixed(2));
  }
  function caseHash(k) { return '#case=' + encodeURIComponent(k); }
  function badge(cls, text) { return el('span', cls, text); }

  // ---------------------------------------------------------------- state
  var state = { statuses: null, suite: '', model: '', prompt: '', tag: '', change: '', q: '',
    sort: 'priority', page: 0, size: 100 };
  var view = [];      // indices of the rows passing the filters, sorted
  var hay = null;     // lower-cased search text per row, built on first search
  var current = null; // row open in the detail panel

  function distinct(fn) {
    var s = new Set();
    ROWS.forEach(function (r) { var v = fn(r); (Array.isArray(v) ? v : [v]).forEach(function (x) { if (x != null && x !== '') s.add(String(x)); }); });
    return Array.from(s).sort();
  }
  function fillSelect(sel, values, label) {
    if (!sel) return;
    values.forEach(function (v) {
      var o = document.createElement('option');
      o.value = v;
      var text = label ? label(v) : visStr(v);
      o.textContent = text.length > 80 ? text.slice(0, 79) + '\u2026' : text;
      o.title = text;
      sel.appendChild(o);
    });
  }

  function setupFilters() {
    var counts = {};
    ROWS.forEach(function (r) { counts[r.st] = (counts[r.st] || 0) + 1; });
    var present = STATUS_ORDER.filter(function (s) { return counts[s]; });
    Object.keys(counts).forEach(function (s) { if (present.indexOf(s) < 0) present.push(s); });
    var fs = $('f-status');
    present.forEach(function (s) {
      var lab = el('label', 'chip');
      var cb = document.createElement('input');
      cb.type = 'checkbox'; cb.value = s; cb.checked = cb.defaultChecked = true; cb.name = 'status';
      lab.appendChild(cb);
      lab.appendChild(badge('st st-' + s.replace(/[^a-z_]/g, ''), visStr(s)));
      lab.appendChild(el('span', 'muted', fmtNum(counts[s])));
      fs.appendChild(lab);
    });
    fillSelect($('f-suite'), distinct(function (r) { return r.s; }));
    fillSelect($('f-model'), distinct(function (r) { return r.m; }));
    fillSelect($('f-prompt'), distinct(function (r) { return r.p; }));
    fillSelect($('f-tag'), distinct(function (r) { return r.t; }));
    if (HAS_BASE) {
      var ch = distinct(function (r) { return r.ch; });
      fillSelect($('f-change'), CHANGE_ORDER.filter(function (c) { return ch.indexOf(c) >= 0; }));
    }
    var timer = null;
    $('filters').addEventListener('input', function (ev) {
      if (ev.target.id === 'f-q') {
        clearTimeout(timer);
        timer = setTimeout(function () { readControls(); apply(); }, 120);
      } else { readControls(); apply(); }
    });
    $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); });
    $('filters').addEventListener('reset', function () {
      setTimeout(function () { readControls(); apply(); }, 0);
    });
  }

  function readControls() {
    var on = new Set();
    document.querySelectorAll('#f-status input').forEach(function (cb) { if (cb.checked) on.add(cb.value); });
    state.statuses = on;
    ['suite', 'model', 'prompt', 'tag', 'change', 'sort'].forEach(function (k) {
      var e = $('f-' + k);
      state[k] = e ? e.value : '';
    });
    state.q = $('f-q').value.trim().toLowerCase();
    state.page = 0;
  }

  function writeControls() {
    document.querySelectorAll('#f-status input').forEach(function (cb) { cb.checked = state.statuses.has(cb.value); });
    ['suite', 'model', 'prompt', 'tag', 'change', 'sort'].forEach(function (k) {
      var e = $('f-' + k);
      if (!e) return;
      var known = Array.prototype.some.call(e.options, function (o) { return o.value === state[k]; });
      if (!known && state[k]) fillSelect(e, [state[k]]);
      e.value = state[k];
    });
    $('f-q').value = state.q;
  }

  function buildHay() {
    hay = ROWS.map(function (r) {
      var parts = [r.s, r.c, r.m, r.p, r.st, r.ch || '', (r.t || []).join(' '),
        T(r.o).text || '', T(r.e).text || '', T(r.v).text || '', T(baseOut(r)).text || ''];
      if (r.er) parts.push(r.er[0], T(r.er[1]).text || '');
      (r.a || []).forEach(function (a) { parts.push(a[0], T(a[3]).text || ''); });
      (r.tc || []).forEach(function (c) { parts.push(c[0], T(c[1]).text || '', T(c[2]).text || ''); });
      (r.tj || []).forEach(function (s) { parts.push(s[1], T(s[2]).text || '', T(s[4]).text || ''); });
      return parts.join('\n').slice(0, 200000).toLowerCase();
    });
  }

  function matches(r, i, terms) {
    if (state.statuses && !state.statuses.has(r.st)) return false;
    if (state.suite && r.s !== state.suite) return false;
    if (state.model && r.m !== state.model) return false;
    if (state.prompt && r.p !== state.prompt) return false;
    if (state.tag && (r.t || []).indexOf(state.tag) < 0) return false;
    if (state.change) {
      if (state.change === 'changed') { if (!r.ch || r.ch === 'unchanged') return false; }
      else if (r.ch !== state.change) return false;
    }
    for (var t = 0; t < terms.length; t++) if (hay[i].indexOf(terms[t]) < 0) return false;
    return true;
  }

  function num(v, dflt) { return typeof v === 'number' ? v : dflt; }
  var SORTS = {
    priority: null,
    'case': function (a, b) { return cmpStr(a.s, b.s) || cmpStr(a.c, b.c) || cmpStr(a.m, b.m) || cmpStr(a.p, b.p) || a.r - b.r; },
    'score-asc': function (a, b) { return num(a.sc, 2) - num(b.sc, 2); },
    'score-desc': function (a, b) { return num(b.sc, -1) - num(a.sc, -1); },
    delta: function (a, b) { return delta(a) - delta(b); },
    latency: function (a, b) { return num(b.l, -1) - num(a.l, -1); },
    cost: function (a, b) { return num(b.$, -1) - num(a.$, -1); }
  };
  function cmpStr(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function delta(r) { return typeof r.sc === 'number' && typeof r.bsc === 'number' ? r.sc - r.bsc : 0; }

  function apply() {
    var terms = state.q ? state.q.split(/\s+/).filter(Boolean) : [];
    if (terms.length && !hay) buildHay();
    view = [];
    for (var i = 0; i < ROWS.length; i++) if (matches(ROWS[i], i, terms)) view.push(i);
    var cmp = SORTS[state.sort];
    if (cmp) view.sort(function (a, b) { return cmp(ROWS[a], ROWS[b]) || a - b; });
    renderRows();
    renderCharts();
  }

  // ---------------------------------------------------------------- table
  function renderRows() {
    var body = $('case-rows');
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * state.size, end = Math.min(view.length, start + state.size);
    var frag = document.createDocumentFragment();
    for (var i = start; i < end; i++) frag.appendChild(rowElement(ROWS[view[i]]));
    if (!view.length) {
      var tr = el('tr', 'empty-row');
      var td = el('td', null, 'No case matches these filters.');
      td.colSpan = 12;
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    body.textContent = '';
    body.appendChild(frag);
    $('case-count').textContent = view.length === ROWS.length ? fmtNum(ROWS.length)
      : fmtNum(view.length) + ' of ' + fmtNum(ROWS.length);
    renderPager(start, end, pages);
  }

  var trRow = new WeakMap();
  function rowElement(r) {
    var tr = document.createElement('tr');
    trRow.set(tr, r);
    if (current && current.k === r.k) tr.className = 'sel';
    var td = cell('Status');
    td.appendChild(badge('st st-' + String(r.st).replace(/[^a-z_]/g, ''), visStr(r.st)));
    tr.appendChild(td);
    if (HAS_BASE) {
      td = cell('Vs baseline');
      if (r.ch) td.appendChild(badge('st ch-' + String(r.ch).replace(/[^a-z_]/g, ''), visStr(r.ch)));
      if (r.cr) { td.appendChild(document.createTextNode(' ')); td.appendChild(badge('tag crit', 'critical')); }
      tr.appendChild(td);
    }
    td = cell('Case', 'cid');
    var a = el('a');
    a.href = caseHash(r.k);
    addId(a, r.c);
    td.appendChild(a);
    tr.appendChild(td);
    tr.appendChild(addId(cell('Suite'), r.s));
    tr.appendChild(addId(cell('Model'), r.m));
    tr.appendChild(addId(cell('Prompt'), r.p));
    var sc = fmtScore(r.sc);
    if (HAS_BASE && typeof r.bsc === 'number' && typeof r.sc === 'number' && r.sc !== r.bsc) {
      sc += ' (' + (r.sc > r.bsc ? '+' : '') + (r.sc - r.bsc).toFixed(2) + ')';
    }
    tr.appendChild(cell('Score', 'num', sc));
    tr.appendChild(cell('Latency', 'num', fmtMs(r.l)));
    tr.appendChild(cell('Cost', 'num', fmtUsd(r.$)));
    var out = r.er ? r.er[0] + ': ' + (T(r.er[1]).text || '') : (T(r.o).text || '');
    if (!out && r.tc) out = r.tc.map(function (c) { return c[0] + '(' + (T(c[1]).text || T(c[2]).text || '') + ')'; }).join(' ');
    tr.appendChild(addText(cell('Output', 'out'), out.slice(0, 240).replace(/\s+/g, ' ')));
    return tr;
  }
  // A table cell that, on a phone, is a "label: value" line of a stacked card.
  function cell(label, cls, text) {
    var td = el('td', cls, text);
    td.setAttribute('data-label', label);
    return td;
  }

  function renderPager(start, end, pages) {
    var nav = $('pager');
    nav.textContent = '';
    nav.appendChild(el('span', 'muted', view.length ? 'Rows ' + fmtNum(start + 1) + '\u2013' + fmtNum(end) + ' of ' + fmtNum(view.length) : ''));
    var size = document.createElement('select');
    size.setAttribute('aria-label', 'Rows per page');
    [50, 100, 250, 1000].forEach(function (n) {
      var o = el('option', null, n + ' per page'); o.value = String(n); size.appendChild(o);
    });
    size.value = String(state.size);
    size.addEventListener('change', function () { state.size = +size.value; state.page = 0; renderRows(); });
    nav.appendChild(size);
    var prev = el('button', null, '\u2190 Previous'); prev.type = 'button'; prev.disabled = state.page === 0;
    prev.addEventListener('click', function () { state.page--; renderRows(); });
    var next = el('button', null, 'Next \u2192'); next.type = 'button'; next.disabled = state.page >= pages - 1;
    next.addEventListener('click', function () { state.page++; renderRows(); });
    nav.appendChild(prev);
    nav.appendChild(el('span', null, 'Page ' + (state.page + 1) + ' of ' + pages));
    nav.appendChild(next);
  }

  // ---------------------------------------------------------------- diff
  var TOKENS = /\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;
  var DIFF_CELLS = 4e6;
  // Word-level LCS diff. Returns [[op, text]] with op '=', '-' or '+', or null when
  // the changed middle is too large to diff in the page.
  function diffWords(a, b) {
    var A = a.match(TOKENS) || [], B = b.match(TOKENS) || [];
    var pre = 0;
    while (pre < A.length && pre < B.length && A[pre] === B[pre]) pre++;
    var suf = 0;
    while (suf < A.length - pre && suf < B.length - pre && A[A.length - 1 - suf] === B[B.length - 1 - suf]) suf++;
    var X = A.slice(pre, A.length - suf), Y = B.slice(pre, B.length - suf);
    var n = X.length, m = Y.length, w = m + 1;
    if (n * m > DIFF_CELLS) return null;
    var L = new Uint32Array((n + 1) * w);
    for (var i = n - 1; i >= 0; i--) {
      for (var j = m - 1; j >= 0; j--) {
        L[i * w + j] = X[i] === Y[j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
      }
    }
    var ops = [];
    function push(op, t) {
      var last = ops[ops.length - 1];
      if (last && last[0] === op) last[1] += t; else ops.push([op, t]);
    }
    push('=', A.slice(0, pre).join(''));
    i = 0; j = 0;
    while (i < n && j < m) {
      if (X[i] === Y[j]) { push('=', X[i]); i++; j++; }
      else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) push('-', X[i++]);
      else push('+', Y[j++]);
    }
    while (i < n) push('-', X[i++]);
    while (j < m) push('+', Y[j++]);
    push('=', A.slice(A.length - suf).join(''));
    return tidy(ops.filter(function (o) { return o[1] !== ''; }));
  }
  // Whitespace kept between two changes splits one edit into confetti: fold it in.
  function tidy(ops) {
    var out = [], del = '', ins = '';
    function flush() {
      if (del) out.push(['-', del]);
      if (ins) out.push(['+', ins]);
      del = ''; ins = '';
    }
    for (var k = 0; k < ops.length; k++) {
      var o = ops[k];
      var between = o[0] === '=' && /^\s+$/.test(o[1]) && (del || ins) && k + 1 < ops.length && ops[k + 1][0] !== '=';
      if (o[0] === '-' || between) del += o[1];
      if (o[0] === '+' || between) ins += o[1];
      if (o[0] === '=' && !between) { flush(); out.push(o); }
    }
    flush();
    return out;
  }

  // ---------------------------------------------------------------- detail
  function textBlock(value, emptyText, links) {
    var wrap = el('div', 'block');
    var t = T(value);
    if (t.text === null || t.text === '') {
      wrap.appendChild(el('div', 'text empty', emptyText || '(empty)'));
      return wrap;
    }
    var pre = el('div', 'text');
    wrap.appendChild(pre);
    function show(full) {
      pre.textContent = '';
      addText(pre, full ? t.text : t.text.slice(0, PREVIEW), links);
    }
    show(t.text.length <= PREVIEW);
    if (t.text.length > PREVIEW || t.omitted) {
      var cut = el('div', 'cut');
      if (t.text.length > PREVIEW) {
        cut.appendChild(el('span', null, 'Showing ' + fmtNum(PREVIEW) + ' of ' + fmtNum(t.text.length + t.omitted) + ' characters.'));
        var btn = el('button', null, 'Show full text');
        btn.type = 'button';
        btn.addEventListener('click', function () { show(true); btn.remove(); });
        cut.appendChild(btn);
      }
      if (t.omitted) cut.appendChild(el('span', null, fmtNum(t.omitted) + ' more characters are not embedded in this report (see results.jsonl).'));
      wrap.appendChild(cut);
    }
    return wrap;
  }

  function diffBlock(oldV, newV, oldTitle, newTitle) {
    var a = T(oldV).text || '', b = T(newV).text || '';
    var grid = el('div', 'side diff');
    var left = el('div'), right = el('div');
    left.appendChild(el('h3', null, oldTitle));
    right.appendChild(el('h3', null, newTitle));
    var ops = diffWords(a, b);
    var lp = el('div', 'text'), rp = el('div', 'text');
    if (ops === null) {
      addText(lp, a); addText(rp, b);
      grid.appendChild(el('p', 'cut', 'These texts are too long for a word diff; shown without highlighting.'));
    } else {
      ops.forEach(function (o) {
        if (o[0] !== '+') lp.appendChild(o[0] === '-' ? addText(el('del'), o[1]) : addText(el('span'), o[1]));
        if (o[0] !== '-') rp.appendChild(o[0] === '+' ? addText(el('ins'), o[1]) : addText(el('span'), o[1]));
      });
    }
    left.appendChild(lp); right.appendChild(rp);
    grid.appendChild(left); grid.appendChild(right);
    return grid;
  }

  function fact(parent, k, v, isId) {
    var f = el('div', 'fact');
    f.appendChild(el('div', 'k', k));
    addText(f.appendChild(el('div', 'v')), v, false, !!isId);
    parent.appendChild(f);
  }

  function section(parent, title) {
    var s = el('div', 'block');
    s.appendChild(el('h3', null, title));
    parent.appendChild(s);
    return s;
  }

  function outputSection(body, r) {
    var bo = baseOut(r), hasBase = bo != null, exp = T(r.e).text;
    var modes = [];
    if (hasBase) modes.push(['base', 'Diff vs baseline']);
    if (exp != null) modes.push(['expected', 'Diff vs expected']);
    modes.push(['plain', 'Output only']);
    var box = el('div', 'outputs');
    var bar = el('div', 'modes');
    bar.setAttribute('role', 'group');
    bar.setAttribute('aria-label', 'Output view');
    var holder = el('div');
    function show(mode) {
      holder.textContent = '';
      Array.prototype.forEach.call(bar.children, function (b) { b.setAttribute('aria-pressed', String(b.value === mode)); });
      if (mode === 'base') {
        var bt = 'Baseline output' + (r.bst ? ' (' + r.bst + ')' : '');
        holder.appendChild(diffBlock(bo, r.o, bt, 'Output (' + r.st + ')'));
      } else if (mode === 'expected') {
        holder.appendChild(diffBlock(r.e, r.o, 'Expected', 'Output (' + r.st + ')'));
      } else {
        holder.appendChild(el('h3', null, 'Output'));
        holder.appendChild(textBlock(r.o, r.st === 'removed' ? '(not in this run)' : '(no output)', true));
        if (hasBase) { holder.appendChild(el('h3', null, 'Baseline output')); holder.appendChild(textBlock(bo, null, true)); }
      }
    }
    if (modes.length > 1) {
      modes.forEach(function (m) {
        var b = el('button', null, m[1]);
        b.type = 'button'; b.value = m[0];
        b.addEventListener('click', function () { show(m[0]); });
        bar.appendChild(b);
      });
      box.appendChild(bar);
    }
    box.appendChild(holder);
    show(modes[0][0]);
    body.appendChild(box);
    if (exp != null) { section(body, 'Expected').appendChild(textBlock(r.e, null, true)); }
  }

  function assertionsSection(body, r, perTurn) {
    var all = r.a || [];
    var whole = perTurn ? all.filter(function (a) { return !perTurn.has(a); }) : all;
    var title = perTurn && whole.length !== all.length
      ? 'Assertions on the whole case (' + whole.length + ' of ' + all.length + ')'
      : 'Assertions (' + all.length + ')';
    var s = section(body, title);
    if (!all.length) { s.appendChild(el('p', 'muted', 'No assertions.')); return; }
    if (!whole.length) { s.appendChild(el('p', 'muted', 'Every assertion scored one turn: see the conversation.')); return; }
    s.appendChild(assertTable(whole));
  }
  function assertTable(list) {
    var table = el('table', 'compact asserts stack');
    var head = el('tr');
    ['Result', 'Assertion', 'Score', 'Reason'].forEach(function (h) { head.appendChild(el('th', null, h)); });
    table.appendChild(el('thead')).appendChild(head);
    var tb = table.appendChild(el('tbody'));
    list.forEach(function (a) {
      var tr = tb.appendChild(el('tr'));
      var res = a[7] || (a[1] === true ? 'pass' : a[1] === false ? 'fail' : 'skipped');
      res = String(res).replace(/[^a-z_]/g, '');
      tr.appendChild(cell('Result')).appendChild(badge('st st-' + res, res));
      var tdType = addId(cell('Assertion', 'mono'), a[0]);
      if (typeof a[8] === 'number') { tdType.appendChild(document.createTextNode(' ')); tdType.appendChild(el('span', 'tag', 'turn ' + (a[8] + 1))); }
      if (a[5]) { tdType.appendChild(document.createTextNode(' ')); addText(tdType.appendChild(el('span', 'muted')), '\u2192 ' + a[5]); }
      if (typeof a[6] === 'number' && a[6] !== 1) tdType.appendChild(el('span', 'muted', ' \u00D7' + a[6]));
      tr.appendChild(tdType);
      tr.appendChild(cell('Score', 'num', fmtScore(a[2])));
      var td = tr.appendChild(cell('Reason', 'reason'));
      var reason = T(a[3]).text;
      if (JUDGE_TYPES.test(a[0]) && reason) {
        var j = td.appendChild(el('div', 'judge'));
        j.appendChild(el('div', 'k', 'Judge reasoning'));
        j.appendChild(textBlock(a[3], null, true));
      } else if (reason) {
        addText(td, reason.length > PREVIEW ? reason.slice(0, PREVIEW) + '\u2026' : reason, true);
      }
      if (a[4] != null) {
        var det = td.appendChild(el('details'));
        det.appendChild(el('summary', null, 'details'));
        det.appendChild(textBlock(pretty(a[4]), null, false));
      }
    });
    return table;
  }

  function renderDetail(r) {
    var body = $('detail-body');
    body.textContent = '';
    var title = $('detail-title');
    title.textContent = '';
    addId(title, r.c);
    var badges = body.appendChild(el('div', 'badges'));
    badges.appendChild(badge('st st-' + String(r.st).replace(/[^a-z_]/g, ''), visStr(r.st)));
    if (r.ch) badges.appendChild(badge('st ch-' + String(r.ch).replace(/[^a-z_]/g, ''), visStr(r.ch) + ' vs baseline'));
    if (r.cr) badges.appendChild(badge('tag crit', 'critical'));
    badges.appendChild(badge('tag', r.ca ? 'cached' : 'not cached'));
    (r.t || []).forEach(function (t) { addId(badges.appendChild(el('span', 'tag')), t); });
    var facts = body.appendChild(el('div', 'facts-grid'));
    fact(facts, 'Suite', r.s, true);
    fact(facts, 'Model', r.m + (r.mid && r.mid !== r.m ? ' (' + r.mid + ')' : ''), true);
    fact(facts, 'Prompt', r.p + (r.ps ? ' \u00B7 ' + String(r.ps).slice(0, 12) : ''), true);
    fact(facts, 'Repeat', String(r.r));
    var sc = fmtScore(r.sc);
    if (r.bsc != null) sc += ' (baseline ' + fmtScore(r.bsc) + ')';
    fact(facts, 'Score', sc);
    fact(facts, 'Latency', fmtMs(r.l));
    fact(facts, 'Tokens in / out', fmtNum(r.ti) + ' / ' + fmtNum(r.to));
    fact(facts, 'Cost', fmtUsd(r.$) + (r.jc ? ' + ' + fmtUsd(r.jc) + ' judge' : ''));
    fact(facts, 'Cached', r.ca ? 'yes' : 'no');
    if (r.fr) fact(facts, 'Finish reason', r.fr);
    if (r.er) {
      var es = section(body, 'Error');
      var box = textBlock(r.er[1], null, false);
      box.firstChild.classList.add('errbox');
      var kind = el('div', 'mono');
      addText(kind, r.er[0]);
      es.appendChild(kind);
      es.appendChild(box);
      if (r.er[2]) {
        var tbd = es.appendChild(el('details'));
        tbd.appendChild(el('summary', null, 'traceback'));
        tbd.appendChild(textBlock(r.er[2], null, false));
      }
    }
    outputSection(body, r);
    toolCallsSection(body, r);
    var convo = isConversation(r);
    var byTurn = new Map(), perTurn = null;
    if (convo) {
      perTurn = new Set();
      (r.a || []).forEach(function (a) {
        if (typeof a[8] !== 'number') return;
        perTurn.add(a);
        if (!byTurn.has(a[8])) byTurn.set(a[8], []);
        byTurn.get(a[8]).push(a);
      });
    }
    assertionsSection(body, r, perTurn);
    trajectorySection(body, r);
    if (convo) transcriptSection(body, r, byTurn);
    else {
      var ps = section(body, 'Rendered prompt \u00B7 ' + visStr(r.p));
      if (r.ms && r.ms.length) {
        r.ms.forEach(function (m) {
          var d = ps.appendChild(el('div', 'msg'));
          addText(d.appendChild(el('div', 'role')), m[0]);
          d.appendChild(textBlock(TEXTS[m[1]], null, true));
        });
      } else ps.appendChild(el('p', 'muted', 'The rendered prompt was not recorded.'));
    }
    if (r.v != null) section(body, 'Variables').appendChild(textBlock(pretty(r.v), null, false));
    var link = section(body, 'Link to this case');
    var a = link.appendChild(el('a', 'mono'));
    a.href = caseHash(r.k);
    addText(a, caseHash(r.k));
  }

  // ---------------------------------------------------------------- agents
  // Tool calls, trajectory steps and the transcript: names and ids through addId,
  // arguments, outputs and messages through textBlock (text nodes only).
  function callItem(parent, c) { // [name, arguments JSON, raw arguments, id]
    var d = parent.appendChild(el('div', 'call'));
    var h = d.appendChild(el('div', 'call-head'));
    h.appendChild(el('span', 'k', 'call'));
    addId(h.appendChild(el('code', 'tool-name')), c[0] || '(unnamed)');
    if (c[3]) { h.appendChild(el('span', 'muted small', 'id')); addId(h.appendChild(el('code', 'muted small')), c[3]); }
    if (c[1] != null) d.appendChild(textBlock(pretty(c[1]), null, false));
    else if (c[2] == null) d.appendChild(el('div', 'muted small', 'no arguments'));
    if (c[2] != null) {
      d.appendChild(el('div', 'k', c[1] == null ? 'Raw arguments (not valid JSON)' : 'Raw arguments'));
      d.appendChild(textBlock(c[2], null, false));
    }
  }
  function toolCallsSection(body, r) {
    if (!r.tc || !r.tc.length) return;
    var s = section(body, 'Tool calls (' + r.tc.length + ')');
    r.tc.forEach(function (c) { callItem(s, c); });
  }
  function trajectorySection(body, r) {
    if (!r.tj || !r.tj.length) return;
    var s = section(body, 'Trajectory (' + r.tj.length + ' step' + (r.tj.length === 1 ? '' : 's') + ')');
    var ol = s.appendChild(el('ol', 'steps'));
    r.tj.forEach(function (st) { // [type, name, arguments, output, error, duration_ms, source]
      var li = ol.appendChild(el('li', st[4] != null ? 'step step-err' : 'step'));
      var h = li.appendChild(el('div', 'step-head'));
      h.appendChild(badge('tag step-type', visStr(st[0])));
      addId(h.appendChild(el('code', 'tool-name')), st[1]);
      var meta = [];
      if (typeof st[5] === 'number') meta.push(fmtMs(st[5]));
      if (st[6]) meta.push('from ' + visStr(st[6]));
      if (meta.length) h.appendChild(el('span', 'muted small', meta.join(' \u00B7 ')));
      if (st[2] != null) { li.appendChild(el('div', 'k', 'Arguments')); li.appendChild(textBlock(pretty(st[2]), null, false)); }
      if (st[3] != null) { li.appendChild(el('div', 'k', 'Output')); li.appendChild(textBlock(st[3], null, true)); }
      if (st[4] != null) {
        li.appendChild(el('div', 'k', 'Error'));
        var eb = li.appendChild(textBlock(st[4], null, false));
        eb.firstChild.classList.add('errbox');
      }
    });
  }
  // A conversation (or a tool loop's history) rather than a one-shot prompt.
  function isConversation(r) {
    return (r.ms || []).some(function (m) { return m[0] === 'assistant' || m[0] === 'tool' || m.length > 2; });
  }
  // Turn k (AssertionResult.turn, 0-based) starts at message r.tu[k] when the engine
  // marked it (a prompt or prior history may hold user messages too), else at the k-th
  // user message; its assertions are listed after its last reply.
  function transcriptSection(body, r, byTurn) {
    var s = section(body, 'Conversation (' + r.ms.length + ' messages)');
    var log = s.appendChild(el('div', 'transcript'));
    var turn = -1;
    function turnAsserts(t, title) {
      var list = byTurn.get(t);
      if (!list) return;
      var box = log.appendChild(el('div', 'turn-asserts'));
      box.appendChild(el('div', 'k', title + ' \u00B7 ' + list.length + ' assertion' + (list.length === 1 ? '' : 's')));
      box.appendChild(assertTable(list));
      byTurn.delete(t);
    }
    var starts = Array.isArray(r.tu) ? r.tu : null;
    r.ms.forEach(function (m, i) {
      var role = String(m[0]);
      var opens = starts ? starts.indexOf(i) >= 0 : role === 'user';
      if (opens) { turnAsserts(turn, 'Turn ' + (turn + 1)); turn++; }
      var d = log.appendChild(el('div', 'msg role-' + role.replace(/[^a-z]/g, '')));
      var h = d.appendChild(el('div', 'role'));
      addText(h, role);
      if (opens) h.appendChild(el('span', 'tag', 'turn ' + (turn + 1)));
      if (m[3] != null) { h.appendChild(el('span', 'muted', ' result of ')); addId(h.appendChild(el('code', 'muted')), m[3]); }
      var calls = Array.isArray(m[2]) ? m[2] : [];
      var text = T(TEXTS[m[1]]).text;
      if (text || !calls.length) d.appendChild(textBlock(TEXTS[m[1]], null, true));
      calls.forEach(function (c) { callItem(d, c); });
    });
    turnAsserts(turn, 'Turn ' + (turn + 1));
    Array.from(byTurn.keys()).sort(function (a, b) { return a - b; }).forEach(function (t) {
      turnAsserts(t, 'Turn ' + (t + 1) + ' (not in the recorded messages)');
    });
  }

  function openCase(key) {
    var r = byKey.get(key);
    if (!r) return false;
    current = r;
    renderDetail(r);
    var d = $('detail');
    d.hidden = false;
    d.scrollTop = 0;
    d.focus({ preventScroll: true });
    document.querySelectorAll('#case-rows tr.sel').forEach(function (tr) { tr.className = ''; });
    document.querySelectorAll('#case-rows tr').forEach(function (tr) { if (trRow.get(tr) === r) tr.className = 'sel'; });
    return true;
  }
  function closeCase() {
    $('detail').hidden = true;
    current = null;
    if (location.hash.indexOf('case=') >= 0) {
      try { history.replaceState(null, '', location.pathname + location.search); } catch (e) { location.hash = ''; }
    }
  }
  function step(by) {
    if (!current) return;
    var pos = view.indexOf(current._i);
    var nxt = view[pos + by];
    if (pos >= 0 && nxt !== undefined) location.hash = caseHash(ROWS[nxt].k).slice(1);
  }

  // ---------------------------------------------------------------- charts
  function svgEl(tag, attrs, parent) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function svgText(parent, x, y, s, anchor) {
    var t = svgEl('text', { x: x, y: y, 'text-anchor': anchor || 'start' }, parent);
    t.textContent = s;
    return t;
  }
  function chartFrame(id, w, h, label) {
    var host = $(id);
    host.textContent = '';
    var svg = svgEl('svg', { viewBox: '0 0 ' + w + ' ' + h, role: 'img', 'aria-label': label }, host);
    return svg;
  }
  function emptyChart(svg, w, h) { svgText(svg, w / 2, h / 2, 'no data', 'middle').setAttribute('class', 'empty'); }
  function legend(host, items) {
    var p = el('div', 'legend');
    items.forEach(function (it) { p.appendChild(el('span', 'sw ' + it[0])); p.appendChild(document.createTextNode(it[1])); });
    host.appendChild(p);
  }
  function histogram(svg, bins, w, h, stacks, xLabels) {
    var pad = { l: 34, r: 6, t: 8, b: 18 };
    var max = 1;
    bins.forEach(function (b) { var s = b.reduce(function (x, y) { return x + y; }, 0); if (s > max) max = s; });
    var bw = (w - pad.l - pad.r) / bins.length, ih = h - pad.t - pad.b;
    svgEl('line', { x1: pad.l, y1: h - pad.b, x2: w - pad.r, y2: h - pad.b, 'class': 'axis' }, svg);
    svgText(svg, pad.l - 4, pad.t + 8, fmtNum(max), 'end');
    svgText(svg, pad.l - 4, h - pad.b, '0', 'end');
    bins.forEach(function (b, i) {
      var y = h - pad.b;
      b.forEach(function (v, k) {
        if (!v) return;
        var bh = v / max * ih;
        y -= bh;
        var rect = svgEl('rect', { x: (pad.l + i * bw + 1).toFixed(1), y: y.toFixed(1), width: Math.max(1, bw - 2).toFixed(1), height: bh.toFixed(1), 'class': stacks[k][0] }, svg);
        svgEl('title', {}, rect).textContent = stacks[k][1] + ': ' + fmtNum(v) + ' \u00B7 ' + xLabels.bin(i);
      });
    });
    xLabels.ticks.forEach(function (t) { svgText(svg, pad.l + t[0] * (w - pad.l - pad.r), h - 4, t[1], t[0] === 0 ? 'start' : t[0] === 1 ? 'end' : 'middle'); });
  }

  function renderCharts() {
    var rows = view.map(function (i) { return ROWS[i]; });
    $('chart-scope').textContent = rows.length === ROWS.length ? '' : '\u00B7 ' + fmtNum(rows.length) + ' cases matching the filters';
    var W = 320, H = 150;
    // score distribution, stacked by outcome
    var svg = chartFrame('chart-score', W, H, 'Score distribution');
    var bins = [];
    for (var i = 0; i < 10; i++) bins.push([0, 0]);
    var any = false;
    rows.forEach(function (r) {
      if (typeof r.sc !== 'number') return;
      any = true;
      bins[Math.max(0, Math.min(9, Math.floor(r.sc * 10)))][r.st === 'pass' ? 0 : 1]++;
    });
    if (any) {
      histogram(svg, bins, W, H, [['b-pass', 'passed'], ['b-fail', 'not passed']], {
        ticks: [[0, '0'], [0.5, '0.5'], [1, '1']],
        bin: function (k) { return 'score ' + (k / 10).toFixed(1) + '\u2013' + ((k + 1) / 10).toFixed(1); }
      });
      legend($('chart-score'), [['pass', 'passed'], ['fail', 'not passed']]);
    } else emptyChart(svg, W, H);
    // latency histogram up to p99; slower cases land in the last bin
    svg = chartFrame('chart-latency', W, H, 'Latency histogram');
    var lat = rows.map(function (r) { return r.l; }).filter(function (v) { return typeof v === 'number'; }).sort(function (a, b) { return a - b; });
    if (lat.length) {
      var top = lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] || lat[lat.length - 1] || 1;
      var lb = [], nb = 20;
      for (i = 0; i < nb; i++) lb.push([0]);
      lat.forEach(function (v) { lb[Math.min(nb - 1, Math.floor(v / top * nb))][0]++; });
      histogram(svg, lb, W, H, [['b-lat', 'cases']], {
        ticks: [[0, '0'], [0.5, fmtMs(top / 2)], [1, '\u2265' + fmtMs(top)]],
        bin: function (k) { return fmtMs(k * top / nb) + '\u2013' + fmtMs((k + 1) * top / nb); }
      });
    } else emptyChart(svg, W, H);
    // cost per model, model calls and judge calls
    var per = new Map();
    rows.forEach(function (r) {
      var c = per.get(r.m) || [0, 0];
      c[0] += num(r.$, 0); c[1] += num(r.jc, 0);
      per.set(r.m, c);
    });
    var models = Array.from(per.entries()).sort(function (a, b) { return (b[1][0] + b[1][1]) - (a[1][0] + a[1][1]); }).slice(0, 12);
    var CH = Math.max(60, 16 + models.length * 22);
    svg = chartFrame('chart-cost', W, CH, 'Cost per model');
    var maxc = 0;
    models.forEach(function (m) { maxc = Math.max(maxc, m[1][0] + m[1][1]); });
    if (models.length && maxc > 0) {
      var lx = 110, rx = W - 64;
      models.forEach(function (m, k) {
        var y = 8 + k * 22, name = visStr(m[0]);
        var lbl = svgText(svg, lx - 6, y + 12, name.length > 18 ? name.slice(0, 17) + '\u2026' : name, 'end');
        svgEl('title', {}, lbl).textContent = name;
        var x = lx;
        [[m[1][0], 'b-cost', 'model calls'], [m[1][1], 'b-judge', 'judge calls']].forEach(function (p) {
          if (!p[0]) return;
          var bw = p[0] / maxc * (rx - lx);
          var rect = svgEl('rect', { x: x.toFixed(1), y: y, width: Math.max(1, bw).toFixed(1), height: 15, 'class': p[1] }, svg);
          svgEl('title', {}, rect).textContent = name + ' \u00B7 ' + p[2] + ': ' + fmtUsd(p[0]);
          x += bw;
        });
        svgText(svg, x + 4, y + 12, fmtUsd(m[1][0] + m[1][1]));
      });
      legend($('chart-cost'), [['model', 'model calls'], ['judge', 'judge calls']]);
    } else emptyChart(svg, W, CH);
  }

  // ---------------------------------------------------------------- routing
  var FILTER_KEYS = ['suite', 'model', 'prompt', 'tag', 'change', 'q', 'status', 'sort'];
  function route() {
    var h = location.hash.slice(1);
    if (h.indexOf('=') < 0) { if (!h && current) closeCase(); return; }
    var p = new URLSearchParams(h);
    var hasFilter = FILTER_KEYS.some(function (k) { return p.has(k); });
    if (hasFilter) {
      FILTER_KEYS.forEach(function (k) {
        if (k === 'status') {
          var st = p.get('status');
          state.statuses = new Set(st ? st.split(',') : STATUS_ORDER.concat(Object.keys(countsByStatus())));
        } else if (k === 'sort') state.sort = p.get('sort') || 'priority';
        else state[k] = p.get(k) || '';
      });
      state.q = state.q.toLowerCase();
      state.page = 0;
      writeControls();
      apply();
      if (!p.has('case')) $('cases').scrollIntoView();
    }
    var key = p.get('case');
    if (key !== null && !openCase(key)) closeCase();
    else if (key === null && current) closeCase();
  }
  function countsByStatus() {
    var c = {};
    ROWS.forEach(function (r) { c[r.st] = 1; });
    return c;
  }

  function setupEvents() {
    $('case-rows').addEventListener('click', function (ev) {
      if (ev.target.closest('a')) return; // the link itself updates the hash
      var tr = ev.target.closest('tr');
      var r = tr && trRow.get(tr);
      if (r) location.hash = caseHash(r.k).slice(1);
    });
    $('detail-close').addEventListener('click', closeCase);
    document.addEventListener('keydown', function (ev) {
      if (!current) return;
      var typing = ev.target && /^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName);
      if (ev.key === 'Escape') closeCase();
      else if (!typing && ev.key === 'j') step(1);
      else if (!typing && ev.key === 'k') step(-1);
    });
    var bar = document.querySelector('.detail-bar');
    var nav = el('div', 'nav-btns');
    [['\u2191 Previous', -1, 'k'], ['Next \u2193', 1, 'j']].forEach(function (b) {
      var btn = el('button', null, b[0]);
      btn.type = 'button';
      btn.title = 'Keyboard: ' + b[2];
      btn.addEventListener('click', function () { step(b[1]); });
      nav.appendChild(btn);
    });
    nav.appendChild($('detail-close'));
    bar.appendChild(nav);
    window.addEventListener('hashchange', route);
    window.addEventListener('beforeprint', function () {
      document.querySelectorAll('details').forEach(function (d) { d.open = true; });
    });
  }

  setupFilters();
  setupEvents();
  readControls();
  apply();
  route();
  window.__llmevalReadyAt = performance.now(); // ms since navigation start (benchmarks)
  window.__llmevalReady = true;
})();
