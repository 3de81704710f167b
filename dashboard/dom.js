// Builds DOM nodes from data. Text always goes in as text nodes, never as HTML, so nothing an
// agent, a rule or a reason contains can inject markup into a page that holds a token.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * An SVG element (the chart); attributes are set verbatim. Children nest as in h(): flattened all
 * the way down (one level was not enough: the chart's ticks, gridlines and tier lines, built as
 * lists of pairs, were appended as their text and never drawn).
 */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children.flat(Infinity)) if (child) el.append(child);
  return el;
}

export const pill = (state, extra = '') =>
  h('span', { class: `pill pill-${state} ${extra}`.trim(), 'data-state': state }, state.replace(/_/g, ' '));

export const shortHash = (hash) => (hash ? hash.replace(/^sha256:/, '').slice(0, 12) : '—');

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return h('time', { datetime: iso, title: d.toISOString() }, d.toLocaleString());
}

/** "3d 4h", "12m 05s": how long until a deadline, from whole seconds. */
export function duration(seconds) {
  if (seconds <= 0) return 'due now';
  const d = Math.floor(seconds / 86400);
  const hrs = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (d > 0) return `${d}d ${hrs}h`;
  if (hrs > 0) return `${hrs}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(s).padStart(2, '0')}s`;
}

/** A countdown the page ticks every second (see tickCountdowns) without refetching. */
export const countdown = (deadlineIso) =>
  deadlineIso
    ? h(
        'span',
        { class: 'countdown', 'data-deadline': deadlineIso },
        duration((Date.parse(deadlineIso) - Date.now()) / 1000),
      )
    : h('span', {}, '—');

export function tickCountdowns(root = document) {
  for (const el of root.querySelectorAll('[data-deadline]')) {
    el.textContent = duration((Date.parse(el.dataset.deadline) - Date.now()) / 1000);
  }
}

export const empty = (text) => h('p', { class: 'empty' }, text);

/** Key/value facts as a definition list. */
export const facts = (pairs) =>
  h(
    'dl',
    { class: 'facts' },
    pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]),
  );

/** Replaces a container's content; nested arrays of children are flattened as in h(). */
export function fill(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

/** A panel of cards: its heading with a link to the kind's list in Temporal, then one card per item. */
export function cardPanel(container, { title, kind, kindLabel, items, emptyText, card }, ui) {
  fill(
    container,
    h('h2', {}, title, ' ', ui.kindLink(kind, kindLabel)),
    items.length === 0
      ? empty(emptyText)
      : h(
          'div',
          { class: 'grid' },
          items.map((item) => card(item, ui)),
        ),
  );
}
