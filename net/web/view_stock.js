// #/stock/<store id> and #/stock/warehouse: a location's stock with product
// names, the lines below their reorder point highlighted and an optional
// "below reorder only" filter (?below=1, the API's below_reorder). A clerk
// files a restock request for their store from here (UC2).

import {get, once_per_action} from './api.js';
import * as data from './data.js';
import {add, h, replace} from './dom.js';
import {plural} from './format.js';
import {problem_view} from './problem.js';
import {can} from './roles.js';

const send = once_per_action();
const MAX_QUANTITY = 10000;

/** The API's rule (StockItem.reorder_point): below it, the product is low. */
function is_below_reorder(item) {
    return item.on_hand < item.reorder_point;
}

export async function render_stock(ctx) {
    const stores = await data.stores();
    const fallback = ctx.session.role === 'clerk' ? ctx.session.store_id : stores[0]?.id;
    const where = ctx.params[0] ?? String(fallback ?? 'warehouse');
    if (!ctx.params[0]) {
        ctx.navigate(`#/stock/${where}`, {replace: true});
        return;
    }
    const warehouse = where === 'warehouse';
    const store_id = warehouse ? null : Number(where);
    const below_only = ctx.query.get('below') === '1';
    if (!warehouse && !Number.isSafeInteger(store_id)) {
        throw {status: 404, title: 'Not found', detail: `"${where}" is not a store.`, errors: [], lines: []};
    }
    const ordering = !warehouse && can(ctx.session, 'request_restock', store_id);

    const [stock, centre] = await Promise.all([
        warehouse
            ? get('/api/v1/warehouse/stock', {below_reorder: below_only ? 'true' : undefined})
            : get(`/api/v1/stores/${store_id}/stock`, {below_reorder: below_only ? 'true' : undefined}),
        ordering ? get('/api/v1/warehouse/stock') : null,
    ]);
    const products = await data.products_for(new Set(stock.items.map((i) => i.product_id)));
    const centre_on_hand = new Map((centre?.items ?? []).map((i) => [i.product_id, i.on_hand]));
    const title = warehouse ? 'Logistics centre' : data.store_name(stores, store_id);
    const below = stock.items.filter(is_below_reorder).length;
    const out = stock.items.filter((i) => i.on_hand === 0).length;

    const quantities = new Map(); // product id -> its order input
    const rows = stock.items.map((item) => {
        const product = products.get(item.product_id);
        const state = item.on_hand === 0 ? 'out' : is_below_reorder(item) ? 'below' : '';
        let order = null;
        if (ordering) {
            const input = h('input', {
                type: 'number', min: 1, max: MAX_QUANTITY, step: 1, inputmode: 'numeric', class: 'qty',
                testid: 'restock-qty', dataset: {productId: item.product_id},
                'aria-label': `Units of ${product?.name ?? `product ${item.product_id}`} to request`,
            });
            quantities.set(item.product_id, input);
            order = [h('td', {class: 'num', testid: 'warehouse-on-hand'}, String(centre_on_hand.get(item.product_id) ?? '—')),
                h('td', {class: 'num'}, input)];
        }
        return h('tr', {
            testid: 'stock-row', class: {out: 'row-danger', below: 'row-warn'}[state],
            dataset: {productId: item.product_id, onHand: item.on_hand, reorderPoint: item.reorder_point,
                below: is_below_reorder(item) ? 'true' : 'false'},
        },
        h('th', {scope: 'row', testid: 'stock-product'}, product?.name ?? `Product #${item.product_id}`),
        h('td', {class: 'mono col-sku'}, product?.sku ?? ''),
        h('td', {class: 'num', testid: 'stock-on-hand'}, String(item.on_hand)),
        h('td', {class: 'num', testid: 'stock-reorder-point'}, String(item.reorder_point)),
        h('td', {}, state ? h('span', {class: ['badge', state === 'out' ? 'danger' : 'warn'], testid: 'stock-state'},
            state === 'out' ? 'Out of stock' : 'Low stock') : null),
        order);
    });

    const picker = h('select', {
        id: 'stock-location', testid: 'stock-location', value: where,
        onchange: (e) => ctx.navigate(`#/stock/${e.target.value}${below_only ? '?below=1' : ''}`),
    }, stores.map((s) => h('option', {value: String(s.id)}, `${s.name} (${s.city})`)),
    h('option', {value: 'warehouse'}, 'Logistics centre'));
    const filter = h('input', {
        type: 'checkbox', id: 'stock-below', testid: 'stock-below-only', checked: below_only,
        onchange: (e) => ctx.navigate(ctx.with_query({below: e.target.checked ? '1' : ''})),
    });

    const feedback = h('div', {class: 'feedback', testid: 'restock-form-feedback', 'aria-live': 'polite'});
    const submit = h('button', {type: 'submit', testid: 'restock-submit'}, 'Request restock');
    const table = h('div', {class: 'table-wrap'}, h('table', {testid: 'stock-table'},
        h('thead', {}, h('tr', {},
            h('th', {scope: 'col'}, 'Product'), h('th', {scope: 'col', class: 'col-sku'}, 'SKU'),
            h('th', {scope: 'col', class: 'num'}, 'On hand'), h('th', {scope: 'col', class: 'num'}, 'Reorder point'),
            h('th', {scope: 'col'}, 'State'),
            ordering ? [h('th', {scope: 'col', class: 'num'}, h('abbr', {title: 'Units at the logistics centre'}, 'Centre')),
                h('th', {scope: 'col', class: 'num'}, 'Request')] : null)),
        h('tbody', {}, rows.length ? rows : h('tr', {class: 'empty'}, h('td', {colspan: ordering ? 7 : 5},
            below_only ? 'Nothing is below its reorder point.' : 'No stock line.')))));

    async function request_restock(event) {
        event.preventDefault();
        replace(feedback);
        const lines = [];
        for (const [product_id, input] of quantities) {
            const text = input.value.trim();
            if (text === '') continue;
            const quantity = Number(text);
            if (!/^\d+$/.test(text) || quantity < 1 || quantity > MAX_QUANTITY) {
                replace(feedback, h('p', {class: 'problem', role: 'alert', testid: 'error'},
                    `${data.product_name(products, product_id)}: enter a whole number of units from 1 to ${MAX_QUANTITY}.`));
                input.focus();
                return;
            }
            lines.push({product_id, quantity});
        }
        if (lines.length === 0) {
            replace(feedback, h('p', {class: 'hint', role: 'alert'}, 'Enter the units to request in the Request column first.'));
            return;
        }
        submit.disabled = true;
        try {
            const created = await send(`restock:${store_id}`, 'POST', `/api/v1/stores/${store_id}/restock-requests`, {lines});
            for (const input of quantities.values()) input.value = '';
            replace(feedback, h('p', {class: 'success', testid: 'restock-created', dataset: {id: created.id}},
                `Restock request filed (${created.status}): ${plural(created.lines.length, 'line')}. `,
                h('a', {href: '#/restock'}, 'See the requests')));
        } catch (error) {
            replace(feedback, problem_view(error, {product_name: (id) => data.product_name(products, id)}));
        } finally {
            submit.disabled = false;
        }
    }

    add(ctx.el, 
        h('h1', {}, `Stock: ${title}`),
        h('form', {class: 'filters', onsubmit: (e) => e.preventDefault()},
            h('label', {for: 'stock-location'}, 'Location', picker),
            h('label', {for: 'stock-below', class: 'check'}, filter, 'Below reorder point only')),
        h('p', {class: 'hint', testid: 'stock-summary'},
            `${plural(stock.items.length, 'product')} shown · ${below} below the reorder point · ${out} out of stock.`),
        ordering
            ? h('form', {testid: 'restock-form', onsubmit: request_restock},
                h('p', {class: 'hint'}, 'To ask the logistics centre for stock, enter units in the Request column and send.'),
                table, h('div', {class: 'sticky-actions'}, feedback, submit))
            : table);
}
