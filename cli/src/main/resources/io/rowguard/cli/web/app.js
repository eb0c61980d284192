// rowguard's page: everything it shows comes from the API (the same answers as the command
// line's --json), with the bearer token kept for this tab only. No library, nothing from the
// network but this server. Data is only ever set as text, never as markup.
'use strict';

const TOKEN = 'rowguard.token';
const main = () => document.getElementById('main');
let settings = { allowApply: false };

// ---- DOM helpers -------------------------------------------------------------------------

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, kids);
  return el;
}

function svg(tag, attrs, ...kids) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(el, attrs);
  append(el, kids);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, kids) {
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

function show(...nodes) {
  const m = main();
  m.replaceChildren(...nodes.flat().filter(Boolean));
}

const enc = encodeURIComponent;

// ---- values and times --------------------------------------------------------------------

function value(v) {
  if (v === null || v === undefined) return h('span', { class: 'null' }, 'NULL');
  if (typeof v === 'string') return h('span', { class: 'v' }, v);
  return h('span', { class: 'v' }, JSON.stringify(v));
}

function keyText(key) {
  const cols = Object.entries(key || {});
  if (cols.length === 1) return String(cols[0][1]);
  return cols.map(([c, v]) => c + '=' + String(v).replace(/([,=\\])/g, '\\$1')).join(',');
}

function when(iso) {
  if (!iso) return h('span', {}, '—');
  const d = new Date(iso);
  const ago = (Date.now() - d.getTime()) / 1000;
  const rel =
    ago < 90 ? Math.round(ago) + ' s ago'
      : ago < 5400 ? Math.round(ago / 60) + ' min ago'
        : ago < 172800 ? Math.round(ago / 3600) + ' h ago' : Math.round(ago / 86400) + ' d ago';
  return h('time', { datetime: iso, title: iso }, d.toLocaleString(), h('small', {}, ' (' + rel + ')'));
}

// ---- the API -----------------------------------------------------------------------------

class Refused extends Error {}

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) {
    login();
    throw new Refused();
  }
  const res = await fetch(path, {
    ...options,
    headers: { ...(options.headers || {}), Authorization: 'Bearer ' + token },
  });
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN);
    login('That token was refused.');
    throw new Refused();
  }
  const type = res.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await res.json() : await res.text();
  return { status: res.status, body };
}

/** The body of a 200, or an error shown in place of the screen. */
async function read(path) {
  const r = await api(path);
  if (r.status !== 200) {
    throw new Error(r.body && r.body.error ? r.body.error : 'HTTP ' + r.status);
  }
  return r.body;
}

function login(message) {
  document.body.classList.add('locked');
  const input = h('input', {
    id: 'token', type: 'password', autocomplete: 'off', required: true,
    'aria-describedby': 'token-help',
  });
  const form = h('form', {
    class: 'card login',
    onsubmit: async (e) => {
      e.preventDefault();
      sessionStorage.setItem(TOKEN, input.value.trim());
      document.body.classList.remove('locked');
      await start();
    },
  },
  h('h1', {}, 'rowguard'),
  message ? h('p', { class: 'error', role: 'alert' }, message) : null,
  h('label', { for: 'token' }, 'API token'),
  input,
  h('p', { id: 'token-help', class: 'muted' },
    'The token is in serve.token in the journal directory (journal.dir). It is kept for this tab only.'),
  h('button', { type: 'submit', class: 'primary' }, 'Open'));
  show(form);
  input.focus();
}

// ---- routing -----------------------------------------------------------------------------

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [name, query] = hash.split('?');
  return { name: name || 'incidents', params: new URLSearchParams(query || '') };
}

function go(name, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    for (const one of [].concat(v)) if (one !== undefined && one !== null && one !== '') q.append(k, one);
  }
  location.hash = '#/' + name + (q.toString() ? '?' + q : '');
}

const SCREENS = {};

async function render() {
  const { name, params } = route();
  const screen = SCREENS[name.split('/')[0]] || SCREENS.incidents;
  document.querySelectorAll('header nav a').forEach((a) => {
    if (a.getAttribute('href') === '#/' + name.split('/')[0]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  show(h('p', { class: 'muted', role: 'status' }, 'Loading…'));
  try {
    await screen(params, name);
  } catch (e) {
    if (e instanceof Refused) return;
    show(h('div', { class: 'card error', role: 'alert', id: 'error' }, h('h2', {}, 'That did not work'), h('p', {}, e.message)));
  }
}

// ---- incidents ---------------------------------------------------------------------------

const WINDOWS = ['1h', '6h', '24h', '7d'];

SCREENS.incidents = async (p) => {
  const since = WINDOWS.includes(p.get('since')) ? p.get('since') : '6h';
  const doc = await read('/api/incidents?limit=2000&since=' + enc(since));
  const list = doc.incidents;
  const picker = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time range' },
    WINDOWS.map((w) => h('a', { href: '#/incidents?since=' + w, 'aria-current': w === since ? 'page' : null }, 'last ' + w)));
  const top = list.slice(0, 25);
  show(
    h('div', { class: 'bar' }, h('h1', {}, 'Incidents'), picker),
    h('p', { class: 'muted' },
      'Transactions of the last ' + since + ', strangest first, ranked as `rowguard incidents` ranks them against the '
      + doc.baseline + ' before.'),
    chart(list, doc.since, doc.until),
    top.length === 0
      ? h('p', { class: 'card' }, 'No transactions in the last ' + since + '.')
      : table(['#', 'Score', 'Committed', 'Who', 'Rows', 'Tables', 'Why'],
        top.map((i) => ({
          href: '#/tx/' + enc(i.tx),
          cells: [
            i.rank,
            i.score,
            when(i.committed),
            i.actors.length ? i.actors.join(', ') : h('span', { class: 'warn' }, 'unattributed'),
            i.rows,
            Object.entries(i.tables).map(([t, c]) => t + ' (' + counts(c) + ')').join('; '),
            h('span', {}, i.reasons[0] || '', i.rollback ? h('span', { class: 'tag' }, 'rollback') : null,
              i.undoneBy ? h('span', { class: 'tag ok' }, 'undone') : null),
          ],
          label: 'transaction ' + i.tx,
        })), 'incidents'));
};

function counts(c) {
  return [['+', c.inserted], ['~', c.updated], ['−', c.deleted]]
    .filter(([, n]) => n > 0).map(([s, n]) => s + n).join(' ');
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#bab0ac'];

/** Rows written per minute (or per wider bin for long ranges) per table, outliers marked. */
function chart(list, sinceIso, untilIso) {
  const from = Date.parse(sinceIso);
  const to = Date.parse(untilIso);
  const minute = 60000;
  const binMs = Math.max(minute, Math.ceil((to - from) / 120 / minute) * minute);
  const bins = Math.max(1, Math.ceil((to - from) / binMs));
  const tables = [...new Set(list.flatMap((i) => Object.keys(i.tables)))].sort();
  const rows = tables.map(() => new Array(bins).fill(0));
  for (const i of list) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((Date.parse(i.committed) - from) / binMs)));
    for (const [t, c] of Object.entries(i.tables)) {
      rows[tables.indexOf(t)][b] += c.inserted + c.updated + c.deleted;
    }
  }
  const totals = new Array(bins).fill(0).map((_, b) => rows.reduce((s, r) => s + r[b], 0));
  const max = Math.max(1, ...totals);
  const W = 960; const H = 200; const pad = 30;
  const bw = (W - pad) / bins;
  const g = svg('svg', {
    viewBox: `0 0 ${W} ${H + 40}`, class: 'chart', role: 'img',
    'aria-label': 'Rows written per ' + binMs / minute + ' minute(s) per table; the strangest transactions marked',
  });
  g.append(svg('text', { x: 0, y: 12, class: 'axis' }, String(max)));
  g.append(svg('line', { x1: pad, y1: H, x2: W, y2: H, class: 'axis-line' }));
  for (let b = 0; b < bins; b++) {
    let y = H;
    tables.forEach((t, ti) => {
      const n = rows[ti][b];
      if (n === 0) return;
      const bh = Math.max(1, (n / max) * (H - 20));
      y -= bh;
      g.append(svg('rect', {
        x: pad + b * bw, y, width: Math.max(1, bw - 1), height: bh, fill: COLORS[ti % COLORS.length],
      }, svg('title', {}, `${t}: ${n} rows, ${new Date(from + b * binMs).toLocaleTimeString()}`)));
    });
  }
  // the outliers: the strangest few transactions, where they stand out
  const outliers = list.filter((i) => i.rank <= 3 && i.score >= 1);
  for (const i of outliers) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((Date.parse(i.committed) - from) / binMs)));
    const x = pad + b * bw + bw / 2;
    const y = H - (totals[b] / max) * (H - 20) - 4;
    const a = svg('a', { href: '#/tx/' + enc(i.tx), class: 'outlier' },
      svg('path', { d: `M${x - 6},${y - 10} L${x + 6},${y - 10} L${x},${y} Z` }),
      svg('title', {}, `#${i.rank}: transaction ${i.tx}, ${i.rows} rows — ${i.reasons[0] || ''}`));
    g.append(a);
  }
  g.append(svg('text', { x: pad, y: H + 14, class: 'axis' }, new Date(from).toLocaleString()));
  g.append(svg('text', { x: W, y: H + 14, class: 'axis', 'text-anchor': 'end' }, new Date(to).toLocaleString()));
  const legend = h('ul', { class: 'legend' }, tables.map((t, ti) => h('li', {},
    h('span', { class: 'swatch', 'data-color': ti % COLORS.length }), t)),
  outliers.length ? h('li', {}, h('span', { class: 'swatch outlier-swatch' }), 'strangest transactions') : null);
  legend.querySelectorAll('[data-color]').forEach((s) => { s.style.background = COLORS[Number(s.dataset.color)]; });
  return h('figure', { class: 'card' }, g, h('figcaption', {}, 'Rows written per ' + (binMs / minute) + ' min, per table'), legend);
}

// ---- a transaction -----------------------------------------------------------------------

SCREENS.tx = async (p, name) => {
  const tx = decodeURIComponent(name.split('/')[1] || '');
  const [changes, blast] = await Promise.all([
    read('/api/transaction?limit=500&tx=' + enc(tx)),
    read('/api/blast-radius?limit=500&tx=' + enc(tx)),
  ]);
  const c0 = changes.changes[0];
  const laterByKey = new Map(blast.rows.map((r) => [r.table + '\u0000' + keyText(r.key), r.laterTransactions]));
  const byTable = new Map();
  for (const c of changes.changes) {
    if (!byTable.has(c.table)) byTable.set(c.table, []);
    byTable.get(c.table).push(c);
  }
  show(
    h('div', { class: 'bar' }, h('h1', {}, 'Transaction ', h('code', {}, tx)),
      h('a', { class: 'button primary', href: '#/plan?kind=backout&tx=' + enc(tx), id: 'plan-backout' }, 'Plan its backout…')),
    h('dl', { class: 'facts card' },
      h('dt', {}, 'Committed'), h('dd', {}, when(blast.committed)),
      h('dt', {}, 'Who'), h('dd', {}, blast.attribution && blast.attribution.actor ? blast.attribution.actor : h('span', { class: 'warn' }, 'unattributed')),
      c0 && c0.actorSource ? [h('dt', {}, 'Known from'), h('dd', {}, c0.actorSource)] : null,
      h('dt', {}, 'Rows'), h('dd', {}, String(blast.rowCount)),
      h('dt', {}, 'Written again later'), h('dd', {}, blast.later.length
        ? blast.later.map((l) => h('a', { href: '#/tx/' + enc(l.tx), class: 'chip' }, l.tx + ' (' + l.rows + ' rows)'))
        : 'no row of it has been written since')),
    changes.next !== null ? h('p', { class: 'muted' }, 'Showing the first ' + changes.changes.length + ' changes.') : null,
    [...byTable.entries()].map(([t, cs]) => h('section', {},
      h('h2', {}, t),
      table(['Key', 'Op', 'Changed', 'Written later by'], cs.map((c) => {
        const later = laterByKey.get(c.table + '\u0000' + keyText(c.key)) || [];
        return {
          href: '#/row?table=' + enc(c.table) + '&key=' + enc(keyText(c.key)),
          cells: [keyText(c.key), c.op, diff(c.changed, c.old, c.new),
            later.length ? h('span', { class: 'warn' }, later.join(', ')) : ''],
          label: 'row ' + keyText(c.key),
          mark: later.length > 0,
        };
      }), 'changes'))),
  );
};

function diff(columns, before, after) {
  return h('ul', { class: 'diff' }, (columns || []).map((col) => h('li', {},
    h('b', {}, col), ': ',
    before && col in before ? h('del', {}, value(before[col])) : null,
    before && col in before && after && col in after ? ' → ' : null,
    after && col in after ? h('ins', {}, value(after[col])) : null)));
}

// ---- a row -------------------------------------------------------------------------------

SCREENS.row = async (p) => {
  const tableName = p.get('table') || '';
  const key = p.get('key') || '';
  const form = h('form', {
    class: 'filters card',
    onsubmit: (e) => { e.preventDefault(); go('row', { table: form.table.value, key: form.key.value }); },
  },
  field('Table', 'table', tableName, 'public.orders'),
  field('Key', 'key', key, '42, or col=value,col=value'),
  h('button', { type: 'submit', class: 'primary' }, 'Show its history'));
  if (!tableName || !key) {
    show(h('h1', {}, 'Row'), form);
    return;
  }
  const doc = await read('/api/history?table=' + enc(tableName) + '&key=' + enc(key));
  show(
    h('h1', {}, 'Row ', h('code', {}, keyText(doc.key)), ' of ', h('code', {}, doc.table)),
    form,
    doc.gaps.length ? h('p', { class: 'card warn', role: 'note' }, 'The journal has gaps for this table: changes in them are missing here.') : null,
    h('ol', { class: 'timeline' }, doc.versions.slice().reverse().map((v, i) => h('li', { class: 'card' + (i === 0 ? ' latest' : '') },
      h('div', { class: 'bar' },
        h('span', {}, h('b', {}, v.op), ' ', when(v.committed), ' in ', h('a', { href: '#/tx/' + enc(v.tx) }, 'transaction ' + v.tx),
          ' by ', v.actor ? v.actor : h('span', { class: 'warn' }, 'unattributed'),
          v.reason ? h('span', { class: 'muted' }, ' — ' + v.reason) : null,
          v.backedOutBy ? h('span', { class: 'tag ok' }, 'backed out by ' + v.backedOutBy.tx) : null),
        i === 0 ? h('span', { class: 'tag' }, 'current') : h('span', {},
          h('a', { class: 'button', href: '#/plan?' + new URLSearchParams({ kind: 'rollback', table: doc.table, key: keyText(doc.key), to: v.committed }) }, 'Roll back to this version…'))),
      diff(v.changed, v.before, v.after)))),
  );
};

function field(label, name, val, placeholder, type) {
  const id = 'f-' + name;
  return h('label', { for: id }, label,
    h('input', { id, name, value: val || '', placeholder, type: type || 'text', autocomplete: 'off' }));
}

// ---- a plan, and applying it -------------------------------------------------------------

SCREENS.plan = async (p) => {
  const kind = p.get('kind') === 'rollback' ? 'rollback' : 'backout';
  const q = new URLSearchParams(p);
  q.delete('kind');
  const plan = await read('/api/plan/' + kind + '?' + q);
  renderPlan(kind, p, plan, null);
};

function renderPlan(kind, p, plan, notice) {
  const policy = p.get('on-conflict') || 'abort';
  const conflicts = plan.rows.filter((r) => r.conflict).length;
  const policyPicker = h('label', { for: 'on-conflict', class: 'inline' }, 'Rows and cells written again since: ',
    h('select', {
      id: 'on-conflict',
      onchange: (e) => { const n = new URLSearchParams(p); n.set('on-conflict', e.target.value); location.hash = '#/plan?' + n; },
    }, [['abort', 'abort: write nothing if any'], ['skip', 'skip: keep the later work'], ['overwrite', 'overwrite: put the earlier state back']]
      .map(([v, t]) => h('option', { value: v, selected: v === policy }, t))));
  show(
    h('div', { class: 'bar' }, h('h1', {}, 'Plan'), h('code', { class: 'muted' }, plan.plan)),
    notice,
    h('p', {}, plan.description),
    h('ul', { class: 'summary' },
      Object.entries(plan.summary).map(([a, n]) => h('li', {}, h('b', {}, String(n)), ' ', a)),
      h('li', { class: conflicts ? 'warn' : '' }, h('b', {}, String(conflicts)), ' conflicts')),
    plan.warnings.map((w) => h('p', { class: 'card warn', role: 'note' }, w)),
    policyPicker,
    applyForm(kind, p, plan),
    plan.rows.length === 0 ? h('p', { class: 'card' }, 'Nothing to do: every row is already at its target.')
      : table(['Table', 'Key', 'Action', 'Current → target', 'SQL'], plan.rows.map((r) => ({
        cells: [r.table, keyText(r.key), r.action,
          h('div', {}, diff(r.changed, r.current, r.target), r.conflict ? h('p', { class: 'conflict' }, '⚠ ' + r.conflict) : null),
          h('details', {}, h('summary', {}, 'SQL'), h('pre', {}, r.sql))],
        mark: Boolean(r.conflict),
        href: '#/row?table=' + enc(r.table) + '&key=' + enc(keyText(r.key)),
        label: 'row ' + keyText(r.key),
      })), 'plan-rows'),
  );
}

function applyForm(kind, p, plan) {
  if (!settings.allowApply) {
    return h('p', { class: 'card muted' }, 'Applying is switched off on this server (serve.allow-apply=false): apply with the command line.');
  }
  if (plan.rows.length === 0) return null;
  const n = plan.rows.length;
  const operator = h('input', { id: 'operator', required: true, value: localStorage.getItem('rowguard.operator') || '', autocomplete: 'off' });
  const reason = h('input', { id: 'reason', required: true, placeholder: 'INC-123: what happened', autocomplete: 'off' });
  const confirm = h('input', { id: 'confirm', required: true, inputmode: 'numeric', autocomplete: 'off', 'aria-describedby': 'confirm-help' });
  const button = h('button', { type: 'submit', class: 'danger', id: 'apply', disabled: true }, 'Apply ' + n + ' rows');
  const result = h('div', { id: 'result', 'aria-live': 'polite' });
  confirm.addEventListener('input', () => { button.disabled = confirm.value.trim() !== String(n); });
  const form = h('form', {
    class: 'card apply',
    onsubmit: async (e) => {
      e.preventDefault();
      button.disabled = true;
      localStorage.setItem('rowguard.operator', operator.value.trim());
      result.replaceChildren(h('p', { class: 'muted' }, 'Applying…'));
      const r = await api('/api/apply', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ plan: plan.plan, operator: operator.value, reason: reason.value, confirmRows: Number(confirm.value) }),
      });
      if (r.status === 200) {
        const w = r.body.written || {};
        result.replaceChildren(h('div', { class: 'card ok', role: 'status', id: 'applied' },
          h('h2', {}, 'Applied'),
          h('p', {}, Object.entries(w).map(([a, k]) => k + ' ' + a).join(', ') + ', in one transaction.'),
          r.body.rollbackTx ? h('p', {}, 'It is journaled like any change: ', h('a', { href: '#/tx/' + enc(r.body.rollbackTx) }, 'transaction ' + r.body.rollbackTx)) : null));
      } else if (r.status === 409 && r.body.difference) {
        const d = r.body.difference;
        renderPlan(kind, p, r.body.plan, h('div', { class: 'card warn', role: 'alert', id: 'changed' },
          h('h2', {}, 'The plan changed: nothing was written'),
          h('p', {}, r.body.error),
          h('p', {}, d.added.length + ' rows added, ' + d.removed.length + ' removed, ' + d.changed.length + ' changed since it was shown:'),
          h('ul', {}, d.changed.concat(d.added).slice(0, 20).map((x) => h('li', {}, keyText((x.now || x).key) + ' of ' + (x.now || x).table)))));
      } else {
        result.replaceChildren(h('div', { class: 'card error', role: 'alert' },
          h('h2', {}, r.status === 409 ? 'Conflicts: nothing was written' : 'Not applied'),
          h('p', {}, r.body.error || 'HTTP ' + r.status),
          r.body.result ? h('ul', {}, r.body.result.conflicts.map((c) => h('li', {}, c.table + ' ' + keyText(c.key) + ': ' + c.reason))) : null));
        button.disabled = false;
      }
    },
  },
  h('h2', {}, 'Apply'),
  h('p', {}, 'Planned again when you apply, and written only if it is still this plan; every row is checked in the same database transaction.'),
  h('label', { for: 'operator' }, 'Operator', operator),
  h('label', { for: 'reason' }, 'Reason', reason),
  h('label', { for: 'confirm' }, 'Type ', h('b', {}, String(n)), ' (the number of rows) to confirm', confirm),
  button, result);
  return form;
}

// ---- audit -------------------------------------------------------------------------------

const AUDIT_FIELDS = [['table', 'Table', 'public.orders'], ['actor', 'Actor', 'alice'], ['tx', 'Transaction', ''],
  ['since', 'Since', '2h, or 2026-11-23T10:00:00Z'], ['until', 'Until', '']];

SCREENS.audit = async (p) => {
  const form = h('form', {
    class: 'filters card',
    onsubmit: (e) => {
      e.preventDefault();
      go('audit', Object.fromEntries(AUDIT_FIELDS.map(([n]) => [n, form[n].value.trim()])));
    },
  }, AUDIT_FIELDS.map(([n, l, ph]) => field(l, n, p.get(n), ph)),
  h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  const q = new URLSearchParams();
  for (const [n] of AUDIT_FIELDS) if (p.get(n)) q.set(n, p.get(n));
  if (p.get('before')) q.set('before', p.get('before'));
  const doc = await read('/api/audit?limit=100&' + q);
  const csv = h('button', {
    type: 'button',
    id: 'csv',
    onclick: async () => {
      const c = new URLSearchParams(q);
      c.delete('before');
      c.set('limit', '0');
      c.set('format', 'csv');
      const r = await api('/api/audit?' + c);
      const a = h('a', { href: URL.createObjectURL(new Blob([r.body], { type: 'text/csv' })), download: 'rowguard-audit.csv' });
      document.body.append(a);
      a.click();
      a.remove();
    },
  }, 'Download CSV (every match)');
  show(
    h('div', { class: 'bar' }, h('h1', {}, 'Audit'), csv),
    form,
    doc.changes.length === 0 ? h('p', { class: 'card' }, 'No change matches.') : table(['Committed', 'Transaction', 'Who', 'Op', 'Table', 'Key', 'Changed'],
      doc.changes.map((c) => ({
        href: '#/row?table=' + enc(c.table) + '&key=' + enc(keyText(c.key)),
        cells: [when(c.committed), h('a', { href: '#/tx/' + enc(c.tx) }, c.tx), c.actor || h('span', { class: 'warn' }, 'unattributed'),
          c.op, c.table, keyText(c.key), diff(c.changed, c.old, c.new)],
        label: 'row ' + keyText(c.key),
      })), 'audit'),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      p.get('before') ? h('a', { href: '#/audit?' + new URLSearchParams([...q].filter(([k]) => k !== 'before')) }, '← Newest') : null,
      doc.next !== null ? h('a', { href: '#/audit?' + older(q, doc.next), id: 'older' }, 'Older →') : null),
  );
};

function older(q, next) {
  const o = new URLSearchParams(q);
  o.set('before', next);
  return o;
}

// ---- lists and the keyboard --------------------------------------------------------------

function table(headers, rows, id) {
  return h('div', { class: 'scroll' }, h('table', { class: 'list', id },
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => {
      const tr = h('tr', { class: r.mark ? 'marked' : null, tabindex: r.href ? 0 : null, 'data-href': r.href, 'aria-label': r.label },
        r.cells.map((c) => h('td', {}, c)));
      if (r.href) {
        tr.addEventListener('click', (e) => { if (!e.target.closest('a,button,summary,details')) location.hash = r.href; });
        tr.addEventListener('keydown', (e) => { if (e.key === 'Enter' && e.target === tr) location.hash = r.href; });
      }
      return tr;
    }))));
}

let pendingG = false;
document.addEventListener('keydown', (e) => {
  if (e.target.closest('input,select,textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
  const rows = [...document.querySelectorAll('table.list tbody tr[tabindex]')];
  const at = rows.indexOf(document.activeElement);
  if (pendingG) {
    pendingG = false;
    const to = { i: 'incidents', a: 'audit', r: 'row' }[e.key];
    if (to) { go(to); e.preventDefault(); }
    return;
  }
  switch (e.key) {
    case 'g': pendingG = true; break;
    case 'j': rows[Math.min(rows.length - 1, at + 1)]?.focus(); e.preventDefault(); break;
    case 'k': rows[Math.max(0, at - 1)]?.focus(); e.preventDefault(); break;
    case '/': main().querySelector('input,select')?.focus(); e.preventDefault(); break;
    case 't': toggleTheme(); break;
    case '?': document.getElementById('help').showModal(); break;
    default:
  }
});

function toggleTheme() {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === 'dark'
    : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'light' : 'dark';
  localStorage.setItem('rowguard.theme', document.documentElement.dataset.theme);
}

async function status() {
  try {
    const s = await read('/api/status');
    const lag = s.database && s.database.lagBytes !== undefined && s.database.lagBytes >= 0 ? ', slot ' + s.database.lagBytes + ' B behind' : '';
    const el = document.getElementById('status');
    el.textContent = s.entries.toLocaleString() + ' changes journaled' + (s.lastCommitAgeSeconds !== null
      ? ', last ' + Math.round(s.lastCommitAgeSeconds) + ' s ago' : '') + lag + (s.openGaps ? ', ' + s.openGaps + ' open gaps' : '');
    el.classList.toggle('warn', s.openGaps > 0 || (s.database && !s.database.reachable));
  } catch (e) {
    // shown where it matters: the screen's own request fails the same way
  }
}

async function start() {
  const r = await api('/api/settings').catch((e) => { if (!(e instanceof Refused)) throw e; return null; });
  if (!r) return;
  settings = r.body;
  await render();
  status();
}

// ---- start -------------------------------------------------------------------------------

(function boot() {
  const saved = localStorage.getItem('rowguard.theme');
  if (saved) document.documentElement.dataset.theme = saved;
  // a link printed by `rowguard serve` carries the token in the fragment, which is never sent
  const m = location.hash.match(/^#token=([^&]+)$/);
  if (m) {
    sessionStorage.setItem(TOKEN, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + '#/incidents');
  }
  document.getElementById('theme').addEventListener('click', toggleTheme);
  document.getElementById('help-button').addEventListener('click', () => document.getElementById('help').showModal());
  window.addEventListener('hashchange', () => { if (sessionStorage.getItem(TOKEN)) render(); });
  setInterval(() => { if (sessionStorage.getItem(TOKEN)) status(); }, 15000);
  start();
}());
