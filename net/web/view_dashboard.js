// #/dashboard (hq, admin): UC3's dashboard (revenue per store, weekly trend,
// stock-outs and overstock) and UC1's consolidated report over chosen days.

import {get} from './api.js';
import {bar_chart, line_chart} from './charts.js';
import * as data from './data.js';
import {add, h, replace, table} from './dom.js';
import {add_days, format_cents, plural} from './format.js';
import {not_allowed, problem_view} from './problem.js';
import {can} from './roles.js';

export async function render_dashboard(ctx) {
    if (!can(ctx.session, 'see_dashboard')) throw not_allowed('the dashboard');
    const [dashboard, stores, products] = await Promise.all([
        get('/api/v1/dashboard'), data.stores(), data.products()]);
    const name_of = (id) => data.store_name(stores, id);
    const total = dashboard.stores.reduce((sum, s) => sum + s.revenue_cents, 0);
    const out_total = dashboard.stores.reduce((sum, s) => sum + s.out_of_stock.length, 0);
    const weeks = dashboard.weekly_trend;

    add(ctx.el, 
        h('h1', {}, 'Dashboard'),
        h('div', {class: 'cards'},
            card('Revenue, last 8 weeks', format_cents(total), {testid: 'total-revenue', dataset: {cents: total}}),
            card('This week', weeks.length ? format_cents(weeks.at(-1).revenue_cents) : '—',
                {testid: 'week-revenue', dataset: {cents: weeks.at(-1)?.revenue_cents ?? 0}}),
            card('Products out of stock', String(out_total), {testid: 'out-of-stock-total', dataset: {count: out_total}})),

        h('section', {class: 'panel', 'aria-labelledby': 'revenue-title'},
            h('h2', {id: 'revenue-title'}, 'Revenue per store'),
            h('p', {class: 'hint'}, 'Sales minus refunds over the last 8 ISO weeks (this one included).'),
            h('div', {class: 'split'},
                table({
                    testid: 'dashboard-stores',
                    columns: [
                        {title: 'Store'}, {title: 'Revenue', class: 'num'},
                        {title: 'Out of stock', class: 'num'}, {title: 'Overstock', class: 'num'}],
                    rows: dashboard.stores.map((s) => h('tr', {testid: 'dashboard-store-row', dataset: {storeId: s.store_id}},
                        h('th', {scope: 'row'}, h('a', {href: `#/stock/${s.store_id}`}, name_of(s.store_id))),
                        h('td', {class: 'num', testid: 'store-revenue', dataset: {cents: s.revenue_cents}}, format_cents(s.revenue_cents)),
                        h('td', {class: ['num', s.out_of_stock.length && 'warn'], testid: 'store-out-of-stock'}, String(s.out_of_stock.length)),
                        h('td', {class: 'num', testid: 'store-overstock'}, String(s.overstock.length)))),
                }),
                h('div', {class: 'chart-box'}, bar_chart({
                    items: dashboard.stores.map((s) => ({id: s.store_id, label: name_of(s.store_id), cents: s.revenue_cents})),
                    label: 'Revenue per store, last 8 weeks', testid: 'revenue-chart', bar_testid: 'revenue-bar',
                })))),

        h('section', {class: 'panel', 'aria-labelledby': 'trend-title'},
            h('h2', {id: 'trend-title'}, 'Weekly trend'),
            h('p', {class: 'hint'}, 'The chain\'s revenue per ISO week, oldest first.'),
            h('div', {class: 'chart-box wide'}, line_chart({
                points: weeks.map((w) => ({key: w.week, label: w.week.replace(/^\d{4}-/, ''), cents: w.revenue_cents})),
                label: 'Weekly revenue of the chain', testid: 'trend-chart', point_testid: 'trend-point',
            })),
            h('details', {class: 'as-table'}, h('summary', {}, 'The trend as a table'),
                table({
                    testid: 'trend-table',
                    columns: [{title: 'Week'}, {title: 'Revenue', class: 'num'}],
                    rows: weeks.map((w) => h('tr', {testid: 'trend-row', dataset: {week: w.week}},
                        h('th', {scope: 'row'}, w.week),
                        h('td', {class: 'num', dataset: {cents: w.revenue_cents}}, format_cents(w.revenue_cents)))),
                }))),

        h('section', {class: 'panel', 'aria-labelledby': 'stock-title'},
            h('h2', {id: 'stock-title'}, 'Stock-outs and overstock'),
            h('div', {class: 'store-stock-grid'}, dashboard.stores.map((s) =>
                h('article', {class: 'store-stock', testid: 'dashboard-stock', dataset: {storeId: s.store_id}},
                    h('h3', {}, h('a', {href: `#/stock/${s.store_id}`}, name_of(s.store_id))),
                    h('p', {}, h('strong', {}, 'Out of stock: '),
                        s.out_of_stock.length
                            ? s.out_of_stock.map((id) => data.product_name(products, id)).join(', ')
                            : 'none'),
                    h('details', {},
                        h('summary', {}, `Overstock: ${plural(s.overstock.length, 'product')}`),
                        h('p', {}, s.overstock.map((id) => data.product_name(products, id)).join(', ') || 'none')))))),

        can(ctx.session, 'see_report') ? report_section(ctx, name_of, products) : null);
}

function card(title, value, props) {
    return h('div', {class: 'card'}, h('p', {class: 'card-title'}, title), h('p', {class: 'card-value', ...props}, value));
}

/** UC1's report with a from/to filter: whole UTC days, `to` included here. */
function report_section(ctx, name_of, products) {
    const from = h('input', {type: 'date', id: 'report-from', name: 'from', testid: 'report-from'});
    const to = h('input', {type: 'date', id: 'report-to', name: 'to', testid: 'report-to'});
    const output = h('div', {testid: 'report', dataset: {state: 'loading'}});

    async function load() {
        output.dataset.state = 'loading';
        replace(output, h('p', {class: 'loading'}, 'Loading the report…'));
        try {
            const report = await get('/api/v1/reports/sales', {
                from: from.value, to: to.value ? add_days(to.value, 1) : undefined});
            replace(output, report_tables(report, name_of, products));
        } catch (error) {
            replace(output, problem_view(error, {on_retry: load}));
        }
        output.dataset.state = 'ready';
    }

    const form = h('form', {class: 'filters', testid: 'report-form', onsubmit: (event) => { event.preventDefault(); load(); }},
        h('label', {for: 'report-from'}, 'From', from),
        h('label', {for: 'report-to'}, 'To (included)', to),
        h('button', {type: 'submit', testid: 'report-submit'}, 'Show report'));
    load();
    return h('section', {class: 'panel', 'aria-labelledby': 'report-title'},
        h('h2', {id: 'report-title'}, 'Consolidated sales report'),
        h('p', {class: 'hint'}, 'Whole UTC days; leave a date empty for no limit. Stock is as of now.'),
        form, output);
}

function report_tables(report, name_of, products) {
    const stock_of = new Map(report.stock.map((s) => [s.store_id, s]));
    return h('div', {class: 'report'},
        table({
            testid: 'report-stores', caption: 'Sales and stock per store',
            columns: [
                {title: 'Store'}, {title: 'Sales', class: 'num'}, {title: 'Revenue', class: 'num'},
                {title: 'Units on hand', class: 'num'}, {title: 'Below reorder', class: 'num'}],
            rows: report.stores.map((s) => h('tr', {testid: 'report-store-row', dataset: {storeId: s.store_id}},
                h('th', {scope: 'row'}, name_of(s.store_id)),
                h('td', {class: 'num', testid: 'report-sales-count'}, String(s.sales_count)),
                h('td', {class: 'num', testid: 'report-revenue', dataset: {cents: s.revenue_cents}}, format_cents(s.revenue_cents)),
                h('td', {class: 'num'}, String(stock_of.get(s.store_id)?.on_hand_total ?? '—')),
                h('td', {class: 'num'}, String(stock_of.get(s.store_id)?.below_reorder ?? '—')))),
        }),
        table({
            testid: 'report-top-products', caption: 'Best sellers', empty: 'No sales in these days.',
            columns: [{title: 'Product'}, {title: 'Units', class: 'num'}, {title: 'Revenue', class: 'num'}],
            rows: report.top_products.map((p) => h('tr', {testid: 'report-top-row', dataset: {productId: p.product_id}},
                h('th', {scope: 'row'}, data.product_name(products, p.product_id)),
                h('td', {class: 'num'}, String(p.quantity)),
                h('td', {class: 'num', dataset: {cents: p.revenue_cents}}, format_cents(p.revenue_cents)))),
        }));
}
