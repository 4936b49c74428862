// Tiny DOM builders: every element of the page is made here, from data, with
// textContent (never innerHTML), so API data cannot inject markup and no
// inline style ever meets the Content-Security-Policy.

const SVG_NS = 'http://www.w3.org/2000/svg';

function set_props(el, props) {
    for (const [key, value] of Object.entries(props ?? {})) {
        if (value === undefined || value === null || value === false) continue;
        if (key === 'class') {
            el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
        } else if (key === 'testid') {
            el.setAttribute('data-testid', value);
        } else if (key === 'dataset') {
            for (const [name, v] of Object.entries(value)) {
                if (v !== undefined && v !== null) el.dataset[name] = String(v);
            }
        } else if (key.startsWith('on') && typeof value === 'function') {
            el.addEventListener(key.slice(2), value);
        } else if (key === 'value' || key === 'checked' || key === 'selected') {
            el[key] = value;
        } else if (key === 'style') {
            throw new Error('inline styles are not allowed by the page\'s CSP: use a class');
        } else {
            el.setAttribute(key, value === true ? '' : String(value));
        }
    }
}

function append(el, children) {
    for (const child of children.flat(Infinity)) {
        if (child === undefined || child === null || child === false) continue;
        el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
}

/** An HTML element: h('td', {class: 'num', dataset: {cents: 12}}, 'text', child). */
export function h(tag, props, ...children) {
    const el = document.createElement(tag);
    append(el, children);
    set_props(el, props); // after the children: a <select>'s value needs its options
    return el;
}

/** An SVG element, same arguments as h(). */
export function s(tag, props, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    set_props(el, props);
    append(el, children);
    return el;
}

/** A table in its scrolling wrapper, with a header row from column titles. */
export function table({testid, caption, columns, rows, empty = 'Nothing to show.'}) {
    const head = h('thead', {}, h('tr', {}, columns.map((c) =>
        h('th', {scope: 'col', class: c.class}, c.title))));
    const body = h('tbody', {}, rows);
    if (rows.length === 0) {
        body.append(h('tr', {class: 'empty'}, h('td', {colspan: columns.length}, empty)));
    }
    return h('div', {class: 'table-wrap'},
        h('table', {testid}, caption ? h('caption', {}, caption) : null, head, body));
}

/** Appends children to el like h() does: arrays flattened, null and false left out. */
export function add(el, ...children) {
    append(el, children);
    return el;
}

/** Replaces the children of el. */
export function replace(el, ...children) {
    el.replaceChildren();
    append(el, children);
    return el;
}
