// #/sales/<store id>: a store's recent sales, newest first, a page at a time,
// optionally between two days; #/sale/<id>: one sale with its lines and
// returns. Clerks see their own store's, hq and admin every store's.

import {get} from './api.js';
import * as data from './data.js';
import {add, h, replace, table} from './dom.js';
import {add_days, format_cents, format_time, plural} from './format.js';
import {not_allowed, problem_view} from './problem.js';
import {can} from './roles.js';

const PAGE = 20;
const STATUSES = {completed: 'Completed', partially_returned: 'Partly returned', returned: 'Returned'};

export async function render_sales(ctx) {
    if (!can(ctx.session, 'see_sales')) throw not_allowed('the sales');
    const stores = await data.stores();
    if (!ctx.params[0]) {
        const fallback = ctx.session.role === 'clerk' ? ctx.session.store_id : stores[0]?.id;
        ctx.navigate(`#/sales/${fallback}`, {replace: true});
        return;
    }
    const store_id = Number(ctx.params[0]);
    if (!can(ctx.session, 'see_sales', store_id)) throw not_allowed('the sales of another store');
    const from = ctx.query.get('from') ?? '';
    const to = ctx.query.get('to') ?? '';
    const window_query = {from, to: to ? add_days(to, 1) : undefined};

    const first = await get(`/api/v1/stores/${store_id}/sales`, {...window_query, limit: PAGE});
    let products = await data.products_for(sale_products(first.items));
    let cursor = first.next_cursor;
    const body = h('tbody', {});
    const feedback = h('div', {class: 'feedback'});
    const more = h('button', {type: 'button', class: 'secondary', testid: 'sales-more', onclick: load_more}, 'Show older sales');

    function add_rows(items) {
        for (const sale of items) {
            const units = sale.lines.reduce((sum, l) => sum + l.quantity, 0);
            body.append(h('tr', {testid: 'sale-row', dataset: {saleId: sale.id, cents: sale.total_cents}},
                h('td', {}, h('a', {href: `#/sale/${sale.id}`, testid: 'sale-link'},
                    h('time', {datetime: sale.created_at}, format_time(sale.created_at)))),
                h('td', {}, sale.lines.map((l) => `${data.product_name(products, l.product_id)} × ${l.quantity}`).join(', ')),
                h('td', {class: 'num'}, String(units)),
                h('td', {class: 'num', testid: 'sale-total', dataset: {cents: sale.total_cents}}, format_cents(sale.total_cents)),
                h('td', {}, h('span', {class: ['badge', sale.status]}, STATUSES[sale.status] ?? sale.status))));
        }
        if (body.children.length === 0) {
            body.append(h('tr', {class: 'empty'}, h('td', {colspan: 5}, 'No sale in these days.')));
        }
        more.hidden = !cursor;
    }

    async function load_more() {
        more.disabled = true;
        try {
            const next = await get(`/api/v1/stores/${store_id}/sales`, {...window_query, limit: PAGE, cursor});
            products = await data.products_for(sale_products(next.items));
            cursor = next.next_cursor;
            add_rows(next.items);
            replace(feedback);
        } catch (error) {
            replace(feedback, problem_view(error, {on_retry: load_more}));
        } finally {
            more.disabled = false;
        }
    }
    add_rows(first.items);

    const picker = ctx.session.role === 'clerk' ? null : h('label', {for: 'sales-store'}, 'Store',
        h('select', {id: 'sales-store', testid: 'sales-store', value: String(store_id),
            onchange: (e) => ctx.navigate(`#/sales/${e.target.value}${window_suffix(from, to)}`)},
        stores.map((s) => h('option', {value: String(s.id)}, s.name))));
    const from_input = h('input', {type: 'date', id: 'sales-from', value: from, testid: 'sales-from'});
    const to_input = h('input', {type: 'date', id: 'sales-to', value: to, testid: 'sales-to'});

    add(ctx.el, 
        h('h1', {}, `Sales: ${data.store_name(stores, store_id)}`),
        h('form', {class: 'filters', testid: 'sales-form', onsubmit: (event) => {
            event.preventDefault();
            ctx.navigate(ctx.with_query({from: from_input.value, to: to_input.value}));
        }},
        picker,
        h('label', {for: 'sales-from'}, 'From', from_input),
        h('label', {for: 'sales-to'}, 'To (included)', to_input),
        h('button', {type: 'submit', testid: 'sales-filter'}, 'Filter')),
        h('p', {class: 'hint'}, 'Newest first. Open a sale for its lines and returns.'),
        h('div', {class: 'table-wrap'}, h('table', {testid: 'sales-table'},
            h('thead', {}, h('tr', {},
                h('th', {scope: 'col'}, 'Time'), h('th', {scope: 'col'}, 'Products'),
                h('th', {scope: 'col', class: 'num'}, 'Units'), h('th', {scope: 'col', class: 'num'}, 'Total'),
                h('th', {scope: 'col'}, 'Status'))),
            body)),
        feedback, h('p', {}, more));
}

export async function render_sale(ctx) {
    if (!can(ctx.session, 'see_sales')) throw not_allowed('the sales');
    const id = ctx.params[0] ?? '';
    const [sale, stores] = await Promise.all([get(`/api/v1/sales/${encodeURIComponent(id)}`), data.stores()]);
    const products = await data.products_for(sale_products([sale, ...sale.returns]));
    const refunded = sale.returns.reduce((sum, r) => sum + r.refund_cents, 0);
    const price_of = new Map(sale.lines.map((l) => [l.product_id, l.unit_price_cents]));

    add(ctx.el, 
        h('p', {}, h('a', {href: `#/sales/${sale.store_id}`, testid: 'sale-back'}, `← Sales of ${data.store_name(stores, sale.store_id)}`)),
        h('h1', {}, 'Sale'),
        h('dl', {class: 'facts', testid: 'sale-detail', dataset: {saleId: sale.id, status: sale.status}},
            h('dt', {}, 'Id'), h('dd', {class: 'mono'}, sale.id),
            h('dt', {}, 'Store'), h('dd', {}, data.store_name(stores, sale.store_id)),
            h('dt', {}, 'Time'), h('dd', {}, h('time', {datetime: sale.created_at}, format_time(sale.created_at))),
            h('dt', {}, 'Status'), h('dd', {testid: 'sale-status'}, STATUSES[sale.status] ?? sale.status),
            h('dt', {}, 'Total'), h('dd', {testid: 'sale-detail-total', dataset: {cents: sale.total_cents}}, format_cents(sale.total_cents)),
            h('dt', {}, 'Refunded'), h('dd', {testid: 'sale-refunded', dataset: {cents: refunded}}, format_cents(refunded)),
            h('dt', {}, 'Net'), h('dd', {dataset: {cents: sale.total_cents - refunded}}, format_cents(sale.total_cents - refunded))),
        h('h2', {}, 'Lines'),
        table({
            testid: 'sale-lines',
            columns: [{title: 'Product'}, {title: 'Units', class: 'num'}, {title: 'Unit price', class: 'num'}, {title: 'Amount', class: 'num'}],
            rows: sale.lines.map((l) => h('tr', {testid: 'sale-line', dataset: {productId: l.product_id, quantity: l.quantity}},
                h('th', {scope: 'row'}, data.product_name(products, l.product_id)),
                h('td', {class: 'num'}, String(l.quantity)),
                h('td', {class: 'num', dataset: {cents: l.unit_price_cents}}, format_cents(l.unit_price_cents)),
                h('td', {class: 'num'}, format_cents(l.quantity * l.unit_price_cents)))),
        }),
        h('h2', {}, `Returns (${sale.returns.length})`),
        h('div', {testid: 'sale-returns'}, sale.returns.length === 0
            ? h('p', {class: 'hint', testid: 'sale-no-returns'}, 'Nothing was returned.')
            : sale.returns.map((r) => h('section', {class: 'panel', testid: 'sale-return', dataset: {returnId: r.id, cents: r.refund_cents}},
                h('h3', {}, h('time', {datetime: r.created_at}, format_time(r.created_at)), ` · refund ${format_cents(r.refund_cents)}`),
                table({
                    columns: [{title: 'Product'}, {title: 'Units', class: 'num'}, {title: 'Refund', class: 'num'}],
                    rows: r.lines.map((l) => h('tr', {},
                        h('th', {scope: 'row'}, data.product_name(products, l.product_id)),
                        h('td', {class: 'num'}, String(l.quantity)),
                        h('td', {class: 'num'}, price_of.has(l.product_id) ? format_cents(l.quantity * price_of.get(l.product_id)) : '—'))),
                })))),
        h('p', {class: 'hint'}, `${plural(sale.lines.length, 'line')}; returns are taken at the till (API), not on this page.`));
}

function window_suffix(from, to) {
    const query = new URLSearchParams();
    if (from) query.set('from', from);
    if (to) query.set('to', to);
    const text = query.toString();
    return text ? `?${text}` : '';
}

function sale_products(records) {
    return new Set(records.flatMap((r) => r.lines.map((l) => l.product_id)));
}
