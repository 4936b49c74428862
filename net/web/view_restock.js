// #/restock: restock requests (UC2, UC6), newest first, with a status
// filter; logistics and admin approve or reject the pending ones. A clerk
// sees their own store's requests (the API filters them).

import {get, once_per_action} from './api.js';
import * as data from './data.js';
import {add, h, replace} from './dom.js';
import {format_time, plural} from './format.js';
import {problem_view} from './problem.js';
import {can} from './roles.js';

const STATUSES = {pending: 'Pending', approved: 'Approved', fulfilled: 'Fulfilled', rejected: 'Rejected'};
const PAGE = 25;
const send = once_per_action(); // one Idempotency-Key per request and decision

export async function render_restock(ctx) {
    const status = STATUSES[ctx.query.get('status')] ? ctx.query.get('status') : '';
    const [page, stores] = await Promise.all([
        get('/api/v1/restock-requests', {status, limit: PAGE}), data.stores()]);
    let products = await data.products_for(line_products(page.items));
    const deciding = can(ctx.session, 'decide_restock');
    const feedback = h('div', {class: 'feedback', testid: 'restock-feedback', 'aria-live': 'polite'});

    const body = h('tbody', {});
    const more = h('button', {type: 'button', class: 'secondary', testid: 'restock-more', onclick: load_more}, 'Show older requests');
    let cursor = page.next_cursor;
    add_rows(page.items);
    more.hidden = !cursor;

    function add_rows(items) {
        if (items.length === 0 && body.children.length === 0) {
            body.append(h('tr', {class: 'empty'}, h('td', {colspan: deciding ? 6 : 5},
                status ? `No ${STATUSES[status].toLowerCase()} request.` : 'No restock request yet.')));
        }
        for (const request of items) body.append(row(request));
    }

    async function load_more() {
        more.disabled = true;
        try {
            const next = await get('/api/v1/restock-requests', {status, limit: PAGE, cursor});
            products = await data.products_for(line_products(next.items));
            add_rows(next.items);
            cursor = next.next_cursor;
            more.hidden = !cursor;
        } catch (error) {
            replace(feedback, problem_view(error, {on_retry: load_more}));
        } finally {
            more.disabled = false;
        }
    }

    function row(request) {
        const tr = h('tr', {testid: 'restock-row', dataset: {id: request.id, status: request.status, storeId: request.store_id}});
        fill(tr, request);
        return tr;
    }

    function fill(tr, request) {
        tr.dataset.status = request.status;
        replace(tr,
            h('td', {}, h('time', {datetime: request.created_at}, format_time(request.created_at))),
            h('td', {}, h('a', {href: `#/stock/${request.store_id}`}, data.store_name(stores, request.store_id))),
            h('td', {}, h('ul', {class: 'lines'}, request.lines.map((line) =>
                h('li', {dataset: {productId: line.product_id}},
                    `${data.product_name(products, line.product_id)} × ${line.quantity}`)))),
            h('td', {}, h('span', {class: ['badge', request.status], testid: 'restock-status'}, STATUSES[request.status] ?? request.status)),
            h('td', {}, h('time', {datetime: request.updated_at}, format_time(request.updated_at))),
            deciding ? h('td', {class: 'actions'}, request.status === 'pending' ? [
                h('button', {type: 'button', testid: 'restock-approve', onclick: () => decide(tr, request, 'approve')}, 'Approve'),
                h('button', {type: 'button', class: 'danger', testid: 'restock-reject', onclick: () => decide(tr, request, 'reject')}, 'Reject'),
            ] : null) : null);
    }

    async function decide(tr, request, decision) {
        for (const button of tr.querySelectorAll('button')) button.disabled = true;
        tr.setAttribute('aria-busy', 'true');
        replace(feedback);
        try {
            const decided = await send(`${decision}:${request.id}`, 'POST',
                `/api/v1/restock-requests/${encodeURIComponent(request.id)}/${decision}`);
            fill(tr, decided);
            const units = decided.lines.reduce((sum, l) => sum + l.quantity, 0);
            ctx.notify(decision === 'approve'
                ? `Approved: ${plural(units, 'unit')} moved from the logistics centre to ${data.store_name(stores, decided.store_id)} (${STATUSES[decided.status].toLowerCase()}).`
                : `Rejected the request of ${data.store_name(stores, decided.store_id)}.`);
        } catch (error) {
            for (const button of tr.querySelectorAll('button')) button.disabled = false;
            replace(feedback, problem_view(error, {product_name: (id) => data.product_name(products, id)}));
        } finally {
            tr.removeAttribute('aria-busy');
        }
    }

    add(ctx.el, 
        h('h1', {}, 'Restock requests'),
        h('p', {class: 'hint'}, ctx.session.role === 'clerk'
            ? 'Your store\'s requests to the logistics centre. File a new one from your store\'s stock page.'
            : deciding
                ? 'Approving moves the stock from the logistics centre to the store at once.'
                : 'Requests of the stores to the logistics centre.'),
        h('form', {class: 'filters', onsubmit: (e) => e.preventDefault()},
            h('label', {for: 'restock-status'}, 'Status',
                h('select', {
                    id: 'restock-status', testid: 'restock-status-filter', value: status,
                    onchange: (e) => ctx.navigate(ctx.with_query({status: e.target.value})),
                }, h('option', {value: ''}, 'All'),
                Object.entries(STATUSES).map(([value, label]) => h('option', {value}, label))))),
        feedback,
        h('div', {class: 'table-wrap'}, h('table', {testid: 'restock-table'},
            h('thead', {}, h('tr', {},
                h('th', {scope: 'col'}, 'Filed'), h('th', {scope: 'col'}, 'Store'), h('th', {scope: 'col'}, 'Lines'),
                h('th', {scope: 'col'}, 'Status'), h('th', {scope: 'col'}, 'Updated'),
                deciding ? h('th', {scope: 'col'}, 'Decision') : null)),
            body)),
        h('p', {}, more));
}

function line_products(requests) {
    return new Set(requests.flatMap((r) => r.lines.map((l) => l.product_id)));
}
