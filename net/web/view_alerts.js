// #/alerts (hq, logistics, admin): the stores' open stock-out and low-stock
// alerts (UC7), filtered by kind and store in the page.

import {get} from './api.js';
import * as data from './data.js';
import {add, h, table} from './dom.js';
import {format_time, plural} from './format.js';
import {not_allowed} from './problem.js';
import {can} from './roles.js';

const KINDS = {out_of_stock: 'Out of stock', low_stock: 'Low stock'};

export async function render_alerts(ctx) {
    if (!can(ctx.session, 'see_alerts')) throw not_allowed('the alerts');
    const [alerts, stores] = await Promise.all([get('/api/v1/alerts'), data.stores()]);
    const products = await data.products_for(new Set(alerts.items.map((a) => a.product_id)));
    const kind = ctx.query.get('kind') ?? '';
    const store = ctx.query.get('store') ?? '';
    const shown = alerts.items
        .filter((a) => (!kind || a.kind === kind) && (!store || String(a.store_id) === store))
        .sort((a, b) => (a.kind === b.kind ? a.store_id - b.store_id : a.kind === 'out_of_stock' ? -1 : 1));

    const refilter = (name, value) => ctx.navigate(ctx.with_query({[name]: value}));
    const out = alerts.items.filter((a) => a.kind === 'out_of_stock').length;

    add(ctx.el, 
        h('h1', {}, 'Stock alerts'),
        h('p', {class: 'hint', testid: 'alerts-summary'},
            `${plural(alerts.items.length, 'open alert')}: ${out} out of stock, ${alerts.items.length - out} low on stock.`),
        h('form', {class: 'filters', onsubmit: (e) => e.preventDefault()},
            h('label', {for: 'alerts-kind'}, 'Kind',
                h('select', {id: 'alerts-kind', testid: 'alerts-kind', value: kind, onchange: (e) => refilter('kind', e.target.value)},
                    h('option', {value: ''}, 'All'),
                    Object.entries(KINDS).map(([value, label]) => h('option', {value}, label)))),
            h('label', {for: 'alerts-store'}, 'Store',
                h('select', {id: 'alerts-store', testid: 'alerts-store', value: store, onchange: (e) => refilter('store', e.target.value)},
                    h('option', {value: ''}, 'All stores'),
                    stores.map((s) => h('option', {value: String(s.id)}, s.name))))),
        table({
            testid: 'alerts-table', empty: 'No open alert.',
            columns: [{title: 'Store'}, {title: 'Product'}, {title: 'Kind'}, {title: 'Since'}],
            rows: shown.map((a) => h('tr', {
                testid: 'alert-row', class: a.kind === 'out_of_stock' ? 'row-danger' : 'row-warn',
                dataset: {storeId: a.store_id, productId: a.product_id, kind: a.kind}},
            h('td', {}, h('a', {href: `#/stock/${a.store_id}?below=1`}, data.store_name(stores, a.store_id))),
            h('td', {}, data.product_name(products, a.product_id)),
            h('td', {}, h('span', {class: ['badge', a.kind === 'out_of_stock' ? 'danger' : 'warn']}, KINDS[a.kind] ?? a.kind)),
            h('td', {}, h('time', {datetime: a.since}, format_time(a.since))))),
        }));
}
