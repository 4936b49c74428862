// End-to-end tests of the managers' web page (net/web/) in headless
// Chromium, driven by Playwright, against a real comptoir node on a private
// SQLite database in demo mode. Each case checks what the page shows
// against what the public API answers to the same token.
//
// Run by tests/web/run.sh (CTest "web_e2e"), which installs playwright-core
// and sets the environment:
//   COMPTOIR_BINARY          the comptoir binary to start
//   COMPTOIR_PLAYWRIGHT      playwright-core's package directory
//   COMPTOIR_CHROMIUM        the browser (default /usr/bin/chromium)
//   COMPTOIR_WEB_ARTIFACTS   where screenshots and the node's log go
//   COMPTOIR_WEB_WORK        a private temporary directory
//   COMPTOIR_WEB_BASE_URL    (optional) test a node already running there,
//                            in demo mode, instead of starting one

import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

const require = createRequire(import.meta.url);
const {chromium} = require(process.env.COMPTOIR_PLAYWRIGHT
    ?? path.join(os.homedir(), '.cache/comptoir/npm/playwright-core-1.64.1/node_modules/playwright-core'));

const WORK = process.env.COMPTOIR_WEB_WORK ?? fs.mkdtempSync(path.join(os.tmpdir(), 'comptoir-web-e2e-'));
const ARTIFACTS = process.env.COMPTOIR_WEB_ARTIFACTS ?? path.join(WORK, 'artifacts');
const CHROMIUM = process.env.COMPTOIR_CHROMIUM ?? '/usr/bin/chromium';
const LAPTOP = {width: 1366, height: 768};
const TABLET = {width: 768, height: 1024};

let base = process.env.COMPTOIR_WEB_BASE_URL?.replace(/\/$/, '') ?? '';
let node = null; // the comptoir child process we started
let browser = null;

// -- the node -------------------------------------------------------------------

async function free_port() {
    const server = net.createServer();
    await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const {port} = server.address();
    await new Promise((resolve) => server.close(resolve));
    return port;
}

async function start_node() {
    const binary = process.env.COMPTOIR_BINARY;
    assert.ok(binary, 'COMPTOIR_BINARY must name the comptoir binary');
    const dir = fs.mkdtempSync(path.join(WORK, 'node-'));
    const log_path = path.join(ARTIFACTS, 'comptoir.log');
    for (let attempt = 1; ; ++attempt) {
        const port = await free_port();
        const log = fs.openSync(log_path, 'w');
        const env = {
            ...process.env,
            COMPTOIR_DATABASE_URL: `sqlite://${path.join(dir, 'c.db')}`,
            COMPTOIR_HTTP_ADDRESS: '127.0.0.1',
            COMPTOIR_HTTP_PORT: String(port),
        };
        delete env.COMPTOIR_CONFIG; // the shipped default config: demo mode
        const child = spawn(binary, ['serve'], {cwd: dir, env, stdio: ['ignore', log, log]});
        fs.closeSync(log);
        const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({code, signal})));
        child.exited = exited;
        const url = `http://127.0.0.1:${port}`;
        const deadline = Date.now() + 30_000;
        let ready = false;
        let gone = null;
        exited.then((how) => { gone = how; });
        while (!ready && !gone && Date.now() < deadline) {
            try {
                // Our node's own line, not only an answer on the port: another
                // test's node may have taken the port we found free, and ours
                // then fails to bind.
                ready = (await fetch(`${url}/health/ready`)).ok
                    && fs.readFileSync(log_path, 'utf8').includes(`listening on ${url} `);
            } catch {
                // not listening yet
            }
            if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (ready) {
            node = child;
            base = url;
            return;
        }
        child.kill('SIGKILL');
        const tail = fs.readFileSync(log_path, 'utf8').split('\n').slice(-20).join('\n');
        // The port we found free may have been taken meanwhile: one more try.
        if (!gone || attempt >= 2) {
            throw new Error(`comptoir did not become ready (${gone ? `exited ${JSON.stringify(gone)}` : 'timeout'}):\n${tail}`);
        }
    }
}

async function stop_node() {
    if (!node) return;
    const child = node;
    node = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await child.exited;
    clearTimeout(timer);
}

// Never leave the node behind, even when the runner is interrupted.
process.on('exit', () => node?.kill('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
        node?.kill('SIGKILL');
        process.exit(1);
    });
}

// -- the API, as a client sees it -------------------------------------------------

async function api(token, method, url_path, body, headers = {}) {
    const response = await fetch(`${base}${url_path}`, {
        method,
        headers: {
            Accept: 'application/json',
            ...(token ? {Authorization: `Bearer ${token}`} : {}),
            ...(body === undefined ? {} : {'Content-Type': 'application/json'}),
            ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null};
}

async function api_ok(token, method, url_path, body, headers) {
    const answer = await api(token, method, url_path, body, headers);
    assert.ok(answer.status >= 200 && answer.status < 300,
        `${method} ${url_path} as ${token}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
}

async function sell(store_id, lines) {
    return api_ok(`demo-clerk-${store_id}`, 'POST', `/api/v1/stores/${store_id}/sales`, {lines},
        {'Idempotency-Key': crypto.randomUUID()});
}

async function on_hand(location_path, product_id) {
    const stock = await api_ok('demo-hq', 'GET', location_path);
    return stock.items.find((i) => i.product_id === product_id).on_hand;
}

/** The page's money format, written again independently: 123456 -> "€1,234.56". */
function euros(cents) {
    const abs = Math.abs(cents);
    const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return `${cents < 0 ? '-' : ''}€${whole}.${String(abs % 100).padStart(2, '0')}`;
}

// -- the browser ------------------------------------------------------------------

/**
 * A fresh context (own session storage) and page. Console errors, page
 * errors (uncaught exceptions) and CSP violations are collected; `done()`
 * fails the case on any not matched by `allowed` (the "Failed to load
 * resource" lines Chromium logs for the 4xx a case provokes on purpose).
 */
async function open_page(t, {viewport = LAPTOP} = {}) {
    const context = await browser.newContext({viewport, locale: 'en-GB', timezoneId: 'UTC'});
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const problems = [];
    const off_host = [];
    page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
        if (/Content.Security.Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
        const url = new URL(request.url());
        if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !url.protocol.startsWith('data')) off_host.push(request.url());
    });
    // CSP violations also as events, in case a console line is missed.
    await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
            console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
        });
    });
    return {
        page,
        context,
        async done(allowed = []) {
            await context.close();
            const unexpected = problems.filter((p) => !allowed.some((re) => re.test(p)));
            assert.deepEqual(unexpected, [], `${t.name}: unexpected console errors, page errors or CSP violations`);
            assert.deepEqual(off_host, [], `${t.name}: requests left the loopback host`);
        },
    };
}

const view = (page) => page.getByTestId('view');

/** Waits until the view of `hash` has rendered (or shown its error). */
async function settled(page, hash) {
    const selector = `[data-testid="view"][data-hash="${hash}"]:is([data-state="ready"], [data-state="error"])`;
    await page.locator(selector).waitFor();
    return page.locator(selector).getAttribute('data-state');
}

async function go(page, hash) {
    await page.evaluate((h) => { window.location.hash = h; }, hash);
    return settled(page, hash);
}

async function sign_in(page, token) {
    await page.goto(`${base}/`);
    await page.getByTestId('signin-token').fill(token);
    await page.getByTestId('signin-submit').click();
    await page.locator('[data-testid="view"][data-state="ready"]:not([data-route="signin"])').waitFor();
}

async function shot(page, name) {
    await page.screenshot({path: path.join(ARTIFACTS, `${name}.png`), fullPage: true});
}

async function no_horizontal_overflow(page, what) {
    const [scroll_width, inner_width] = await page.evaluate(() =>
        [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scroll_width <= inner_width, `${what}: the page is ${scroll_width}px wide in a ${inner_width}px viewport`);
}

async function data_of(locator, name) {
    return locator.evaluateAll((els, key) => els.map((e) => e.dataset[key]), name);
}

async function nav_routes(page) {
    return page.getByTestId('nav-links').locator('a').evaluateAll((links) => links.map((a) => a.dataset.route));
}

// -- the cases ----------------------------------------------------------------------

describe('managers\' web page', () => {
    before(async () => {
        fs.mkdirSync(ARTIFACTS, {recursive: true});
        if (!base) await start_node();
        browser = await chromium.launch({
            executablePath: CHROMIUM,
            headless: true,
            args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                '--disable-sync', '--disable-quic', '--no-first-run', '--disable-default-apps', '--disable-extensions'],
        });
    });

    after(async () => {
        await browser?.close();
        await stop_node();
    });

    test('the page and its assets are served with the CSP, their types and no-cache', async () => {
        const page = await fetch(`${base}/`, {headers: {Accept: 'text/html'}});
        assert.equal(page.status, 200);
        assert.match(page.headers.get('content-type'), /^text\/html/);
        const csp = page.headers.get('content-security-policy') ?? '';
        assert.match(csp, /script-src 'self'/);
        assert.match(csp, /style-src 'self'/);
        const html = await page.text();
        const assets = [...html.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1]);
        assert.ok(assets.includes('/ui/main.js') && assets.includes('/ui/app.css'), `assets: ${assets}`);
        assert.doesNotMatch(html, /<style|style=|<script>/, 'no inline style or script');
        for (const [asset, type] of [['/ui/main.js', /^text\/javascript/], ['/ui/app.css', /^text\/css/], ['/ui/favicon.svg', /^image\/svg\+xml/]]) {
            const response = await fetch(`${base}${asset}`);
            assert.equal(response.status, 200, asset);
            assert.match(response.headers.get('content-type'), type, asset);
            assert.match(response.headers.get('cache-control') ?? '', /no-cache/, asset);
            assert.ok(response.headers.get('etag'), `${asset} has an ETag`);
        }
        const me = await api_ok('demo-clerk-4', 'GET', '/api/v1/me');
        assert.deepEqual(me, {role: 'clerk', store_id: 4});
    });

    test('head office: the dashboard shows the API\'s numbers, fresh after a reload', async (t) => {
        await sell(1, [{product_id: 1, quantity: 2}]);
        const {page, done} = await open_page(t);
        await sign_in(page, 'demo-hq');
        assert.equal(await view(page).getAttribute('data-route'), 'dashboard', 'hq lands on the dashboard');
        assert.deepEqual(await nav_routes(page), ['dashboard', 'alerts', 'restock', 'catalogue', 'stock', 'sales']);
        assert.equal(await page.getByTestId('user-role').getAttribute('data-role'), 'hq');

        async function check_dashboard() {
            const dashboard = await api_ok('demo-hq', 'GET', '/api/v1/dashboard');
            for (const store of dashboard.stores) {
                const row = page.locator(`[data-testid="dashboard-store-row"][data-store-id="${store.store_id}"]`);
                const revenue = row.getByTestId('store-revenue');
                assert.equal(Number(await revenue.getAttribute('data-cents')), store.revenue_cents, `store ${store.store_id} revenue`);
                assert.equal(await revenue.textContent(), euros(store.revenue_cents));
                assert.equal(await row.getByTestId('store-out-of-stock').textContent(), String(store.out_of_stock.length));
                assert.equal(await row.getByTestId('store-overstock').textContent(), String(store.overstock.length));
                const bar = page.locator(`[data-testid="revenue-bar"][data-id="${store.store_id}"]`);
                assert.equal(Number(await bar.getAttribute('data-cents')), store.revenue_cents, `store ${store.store_id} bar`);
            }
            assert.equal(await page.getByTestId('dashboard-store-row').count(), dashboard.stores.length);
            const points = page.getByTestId('trend-point');
            assert.deepEqual(await data_of(points, 'key'), dashboard.weekly_trend.map((w) => w.week),
                'the trend\'s weeks, oldest first');
            assert.deepEqual((await data_of(points, 'cents')).map(Number), dashboard.weekly_trend.map((w) => w.revenue_cents),
                'the trend\'s revenue per week');
            const total = dashboard.stores.reduce((sum, s) => sum + s.revenue_cents, 0);
            assert.equal(Number(await page.getByTestId('total-revenue').getAttribute('data-cents')), total);
            for (const store of dashboard.stores) {
                const stock = page.locator(`[data-testid="dashboard-stock"][data-store-id="${store.store_id}"]`);
                assert.equal(store.out_of_stock.length > 0, !(await stock.textContent()).includes('Out of stock: none'));
            }
            return dashboard;
        }

        const first = await check_dashboard();
        const store_1 = first.stores.find((s) => s.store_id === 1).revenue_cents;
        assert.ok(store_1 > 0, 'store 1 sold something');
        await shot(page, 'hq-dashboard');

        // Another sale, then a reload: the same tab stays signed in and shows it.
        const price = (await api_ok('demo-hq', 'GET', '/api/v1/products/3')).price_cents;
        const sale = await sell(1, [{product_id: 3, quantity: 3}]);
        assert.equal(sale.total_cents, 3 * price);
        await page.reload();
        await settled(page, '#/dashboard');
        const second = await check_dashboard();
        assert.equal(second.stores.find((s) => s.store_id === 1).revenue_cents, store_1 + sale.total_cents);
        assert.equal(await page.locator('[data-testid="dashboard-store-row"][data-store-id="1"] [data-testid="store-revenue"]').textContent(),
            euros(store_1 + sale.total_cents));

        // The consolidated report, all days then from today.
        await page.locator('[data-testid="report"][data-state="ready"]').waitFor();
        const all_days = await api_ok('demo-hq', 'GET', '/api/v1/reports/sales');
        for (const store of all_days.stores) {
            const row = page.locator(`[data-testid="report-store-row"][data-store-id="${store.store_id}"]`);
            assert.equal(await row.getByTestId('report-sales-count').textContent(), String(store.sales_count));
            assert.equal(Number(await row.getByTestId('report-revenue').getAttribute('data-cents')), store.revenue_cents);
        }
        const today = new Date().toISOString().slice(0, 10);
        const from_today = await api_ok('demo-hq', 'GET', `/api/v1/reports/sales?from=${today}`);
        await page.getByTestId('report-from').fill(today);
        await page.getByTestId('report-submit').click();
        await page.locator('[data-testid="report"][data-state="ready"]').waitFor();
        assert.equal(await page.locator('[data-testid="report-store-row"][data-store-id="1"] [data-testid="report-sales-count"]').textContent(),
            String(from_today.stores.find((s) => s.store_id === 1).sales_count));
        assert.deepEqual((await data_of(page.getByTestId('report-top-row'), 'productId')).map(Number),
            from_today.top_products.map((p) => p.product_id));
        await no_horizontal_overflow(page, 'dashboard at 1366x768');

        // Every other view of the head office, with its screenshot.
        await page.getByTestId('nav-alerts').click();
        await settled(page, '#/alerts');
        const alerts = await api_ok('demo-hq', 'GET', '/api/v1/alerts');
        assert.equal(await page.getByTestId('alert-row').count(), alerts.items.length);
        await shot(page, 'hq-alerts');
        await page.getByTestId('nav-restock').click();
        await settled(page, '#/restock');
        assert.equal(await page.getByTestId('restock-approve').count(), 0, 'hq does not approve');
        await shot(page, 'hq-restock');
        await page.getByTestId('nav-stock').click();
        await settled(page, '#/stock/1');
        await shot(page, 'hq-stock');
        await page.getByTestId('nav-sales').click();
        await settled(page, '#/sales/1');
        const sales = await api_ok('demo-hq', 'GET', '/api/v1/stores/1/sales?limit=20');
        assert.deepEqual(await data_of(page.getByTestId('sale-row'), 'saleId'), sales.items.map((s) => s.id), 'newest first');
        await shot(page, 'hq-sales');
        // A return of one unit, then the sale's detail shows its lines and the return.
        const returned = await api_ok('demo-clerk-1', 'POST', `/api/v1/sales/${sale.id}/returns`,
            {lines: [{product_id: 3, quantity: 1}]}, {'Idempotency-Key': crypto.randomUUID()});
        await page.locator(`[data-testid="sale-row"][data-sale-id="${sale.id}"] [data-testid="sale-link"]`).click();
        await settled(page, `#/sale/${sale.id}`);
        assert.equal(Number(await page.getByTestId('sale-detail-total').getAttribute('data-cents')), sale.total_cents);
        assert.deepEqual(await data_of(page.getByTestId('sale-line'), 'quantity'), ['3']);
        assert.equal(await page.getByTestId('sale-status').textContent(), 'Partly returned');
        assert.deepEqual((await data_of(page.getByTestId('sale-return'), 'cents')).map(Number), [returned.refund_cents]);
        assert.equal(await page.getByTestId('sale-refunded').textContent(), euros(price));
        await shot(page, 'hq-sale');
        await done();
    });

    test('logistics: approving a request in the page moves the stock', async (t) => {
        const store = 3;
        const product = 5;
        const quantity = 7;
        const store_before = await on_hand(`/api/v1/stores/${store}/stock`, product);
        const centre_before = await on_hand('/api/v1/warehouse/stock', product);
        const request = await api_ok(`demo-clerk-${store}`, 'POST', `/api/v1/stores/${store}/restock-requests`,
            {lines: [{product_id: product, quantity}]}, {'Idempotency-Key': crypto.randomUUID()});
        assert.equal(request.status, 'pending');

        const {page, done} = await open_page(t);
        await sign_in(page, 'demo-logistics');
        assert.equal(await view(page).getAttribute('data-route'), 'restock', 'logistics lands on the restock requests');
        assert.deepEqual(await nav_routes(page), ['alerts', 'restock', 'catalogue', 'stock']);
        await page.getByTestId('restock-status-filter').selectOption('pending');
        await settled(page, '#/restock?status=pending');
        const statuses = await data_of(page.getByTestId('restock-row'), 'status');
        assert.ok(statuses.length > 0 && statuses.every((s) => s === 'pending'), `only pending: ${statuses}`);
        const row = page.locator(`[data-testid="restock-row"][data-id="${request.id}"]`);
        await shot(page, 'logistics-restock');

        // A double click approves once: the button is disabled at once and
        // the request carries an Idempotency-Key.
        await row.getByTestId('restock-approve').dblclick();
        await page.locator(`[data-testid="restock-row"][data-id="${request.id}"][data-status="fulfilled"]`).waitFor();
        assert.equal(await row.getByTestId('restock-status').textContent(), 'Fulfilled');
        assert.equal(await row.getByTestId('restock-approve').count(), 0);
        assert.match(await page.getByTestId('notice').textContent(), /Approved: 7 units moved/);
        assert.equal(await page.getByTestId('error').count(), 0);
        await shot(page, 'logistics-restock-approved');

        await page.getByTestId('nav-stock').click();
        await settled(page, '#/stock/1');
        await page.getByTestId('stock-location').selectOption(String(store));
        await settled(page, `#/stock/${store}`);
        const line = page.locator(`[data-testid="stock-row"][data-product-id="${product}"]`);
        assert.equal(await line.getByTestId('stock-on-hand').textContent(), String(store_before + quantity));
        assert.equal(await on_hand(`/api/v1/stores/${store}/stock`, product), store_before + quantity, 'the API agrees');
        assert.equal(await on_hand('/api/v1/warehouse/stock', product), centre_before - quantity, 'it came from the centre');
        assert.equal(await page.getByTestId('restock-qty').count(), 0, 'logistics files no request');

        // Below-reorder lines are highlighted, and the filter keeps only them.
        const stock = await api_ok('demo-logistics', 'GET', `/api/v1/stores/${store}/stock`);
        const below = stock.items.filter((i) => i.on_hand < i.reorder_point).map((i) => String(i.product_id));
        assert.ok(below.length > 0, 'the demo data has low stock');
        assert.deepEqual(await data_of(page.locator('[data-testid="stock-row"][data-below="true"]'), 'productId'), below);
        for (const id of below) {
            assert.match(await page.locator(`[data-testid="stock-row"][data-product-id="${id}"]`).getAttribute('class'), /row-(warn|danger)/);
        }
        assert.equal(await page.locator('[data-testid="stock-row"][data-below="false"][class]').count(), 0, 'others are plain');
        await page.getByTestId('stock-below-only').check();
        await settled(page, `#/stock/${store}?below=1`);
        assert.deepEqual(await data_of(page.getByTestId('stock-row'), 'productId'), below);
        await shot(page, 'logistics-stock-below-reorder');

        await page.getByTestId('stock-location').selectOption('warehouse');
        await settled(page, '#/stock/warehouse?below=1');
        await page.getByTestId('stock-below-only').uncheck();
        await settled(page, '#/stock/warehouse');
        assert.equal(await page.locator(`[data-testid="stock-row"][data-product-id="${product}"] [data-testid="stock-on-hand"]`).textContent(),
            String(centre_before - quantity));
        assert.match(await page.locator('h1').textContent(), /Logistics centre/);
        await shot(page, 'logistics-warehouse');

        await page.getByTestId('nav-alerts').click();
        await settled(page, '#/alerts');
        await shot(page, 'logistics-alerts');
        await page.getByTestId('nav-catalogue').click();
        await settled(page, '#/catalogue');
        assert.equal(await page.getByTestId('product-edit').count(), 0, 'logistics does not edit products');
        await done();
    });

    test('head office: search the catalogue, edit a price in euros, exact cents', async (t) => {
        const {page, done} = await open_page(t);
        await sign_in(page, 'demo-hq');
        await page.getByTestId('nav-catalogue').click();
        await settled(page, '#/catalogue');

        // Pagination follows the API's cursor.
        const page_1 = await api_ok('demo-hq', 'GET', '/api/v1/products?limit=20');
        const page_2 = await api_ok('demo-hq', 'GET', `/api/v1/products?limit=20&cursor=${encodeURIComponent(page_1.next_cursor)}`);
        assert.deepEqual((await data_of(page.getByTestId('product-row'), 'productId')).map(Number), page_1.items.map((p) => p.id));
        await shot(page, 'hq-catalogue');
        await page.getByTestId('catalogue-next').click();
        await page.locator('[data-testid="catalogue-page"][data-page="2"]').waitFor();
        assert.deepEqual((await data_of(page.getByTestId('product-row'), 'productId')).map(Number), page_2.items.map((p) => p.id));
        await page.getByTestId('catalogue-prev').click();
        await page.locator('[data-testid="catalogue-page"][data-page="1"]').waitFor();

        // Search.
        await page.getByTestId('catalogue-search').fill('oats');
        await page.getByTestId('catalogue-search-submit').click();
        await settled(page, '#/catalogue?q=oats');
        const found = await api_ok('demo-hq', 'GET', '/api/v1/products?q=oats');
        assert.ok(found.items.length > 0);
        assert.deepEqual((await data_of(page.getByTestId('product-row'), 'productId')).map(Number), found.items.map((p) => p.id));
        const product = found.items[0];

        // 12.34 € is 1234 cents; "4,35" is 435 (4.35 * 100 is 434.99999999999994 in floating point).
        const row = page.locator(`[data-testid="product-row"][data-product-id="${product.id}"]`);
        for (const [typed, cents] of [['12.34', 1234], ['4,35', 435], ['€ 1299', 129900], ['0.1', 10]]) {
            await row.getByTestId('product-edit').click();
            await page.getByTestId('product-dialog').waitFor();
            assert.equal(await page.getByTestId('product-price-input').inputValue(),
                `${Math.floor(product.price_cents / 100)}.${String(product.price_cents % 100).padStart(2, '0')}`);
            await page.getByTestId('product-price-input').fill(typed);
            if (cents === 1234) await shot(page, 'hq-catalogue-edit');
            await page.getByTestId('product-save').click();
            await page.getByTestId('product-dialog').waitFor({state: 'hidden'});
            await page.locator(`[data-testid="product-row"][data-product-id="${product.id}"] [data-testid="product-price"][data-cents="${cents}"]`).waitFor();
            assert.equal(await row.getByTestId('product-price').textContent(), euros(cents));
            const stored = await api_ok('demo-hq', 'GET', `/api/v1/products/${product.id}`);
            assert.equal(stored.price_cents, cents, `"${typed}" is ${cents} cents`);
            product.price_cents = cents;
        }

        // Name and description too; the other fields keep their values.
        await row.getByTestId('product-edit').click();
        await page.getByTestId('product-name-input').fill(`${product.name} (bio)`);
        await page.getByTestId('product-description-input').fill('Organic, from Québec');
        await page.getByTestId('product-save').click();
        await page.getByTestId('product-dialog').waitFor({state: 'hidden'});
        const renamed = await api_ok('demo-hq', 'GET', `/api/v1/products/${product.id}`);
        assert.deepEqual(renamed, {...product, name: `${product.name} (bio)`, description: 'Organic, from Québec'});
        assert.equal(await row.getByTestId('product-name').textContent(), renamed.name);
        await shot(page, 'hq-catalogue-edited');
        await done();
    });

    test('a clerk sees their store and no manager action', async (t) => {
        const store = 2;
        const token = `demo-clerk-${store}`;
        const sale = await sell(store, [{product_id: 4, quantity: 1}, {product_id: 9, quantity: 2}]);
        await api_ok(token, 'POST', `/api/v1/stores/${store}/restock-requests`, {lines: [{product_id: 12, quantity: 5}]},
            {'Idempotency-Key': crypto.randomUUID()});

        const {page, done} = await open_page(t);
        await sign_in(page, token);
        assert.equal(await view(page).getAttribute('data-hash'), `#/stock/${store}`, 'a clerk lands on their stock');
        assert.deepEqual(await nav_routes(page), ['restock', 'catalogue', 'stock', 'sales']);
        assert.equal(await page.getByTestId('nav-dashboard').count(), 0);
        assert.equal(await page.getByTestId('user-role').getAttribute('data-role'), 'clerk');
        const stock = await api_ok(token, 'GET', `/api/v1/stores/${store}/stock`);
        assert.equal(await page.getByTestId('stock-row').count(), stock.items.length);
        assert.equal(await page.locator('[data-testid="stock-row"][data-product-id="1"] [data-testid="stock-product"]').textContent(),
            (await api_ok(token, 'GET', '/api/v1/products/1')).name, 'products by name');
        await shot(page, 'clerk-stock');

        // A restock request from the stock view; a double click files one.
        const pending_before = (await api_ok(token, 'GET', '/api/v1/restock-requests?status=pending')).items.length;
        await page.locator('[data-testid="restock-qty"][data-product-id="7"]').fill('3');
        await page.getByTestId('restock-submit').dblclick();
        const created = page.getByTestId('restock-created');
        await created.waitFor();
        const id = await created.getAttribute('data-id');
        const pending = (await api_ok(token, 'GET', '/api/v1/restock-requests?status=pending')).items;
        assert.equal(pending.length, pending_before + 1, 'one request, not two');
        assert.deepEqual(pending.find((r) => r.id === id)?.lines, [{product_id: 7, quantity: 3}]);
        await shot(page, 'clerk-restock-filed');

        await page.getByTestId('nav-restock').click();
        await settled(page, '#/restock');
        const rows = page.getByTestId('restock-row');
        assert.ok(await rows.count() >= 2);
        assert.deepEqual([...new Set(await data_of(rows, 'storeId'))], [String(store)], 'their store\'s only');
        assert.equal(await page.getByTestId('restock-approve').count(), 0, 'no approve button');
        assert.equal(await page.getByTestId('restock-reject').count(), 0, 'no reject button');
        await shot(page, 'clerk-restock');

        await page.getByTestId('nav-catalogue').click();
        await settled(page, '#/catalogue');
        assert.ok(await page.getByTestId('product-row').count() > 0);
        assert.equal(await page.getByTestId('product-edit').count(), 0, 'no edit button');
        await shot(page, 'clerk-catalogue');

        await page.getByTestId('nav-sales').click();
        await settled(page, `#/sales/${store}`);
        assert.equal(await page.getByTestId('sales-store').count(), 0, 'no store picker');
        await page.locator(`[data-testid="sale-row"][data-sale-id="${sale.id}"] [data-testid="sale-link"]`).click();
        await settled(page, `#/sale/${sale.id}`);
        assert.equal(await page.getByTestId('sale-line').count(), 2);
        await shot(page, 'clerk-sale');

        // Typed by hand: the page says no, readably.
        await page.goto(`${base}/#/dashboard`);
        assert.equal(await settled(page, '#/dashboard'), 'error');
        assert.match(await page.getByTestId('error').textContent(), /Not allowed/);
        await shot(page, 'clerk-dashboard-not-allowed');
        await go(page, '#/sales/1');
        assert.match(await page.getByTestId('error').textContent(), /Not allowed/);
        await go(page, '#/alerts');
        assert.match(await page.getByTestId('error').textContent(), /Not allowed/);
        await done();
    });

    test('API errors are readable messages, never raw JSON', async (t) => {
        const {page, context, done} = await open_page(t);

        // A wrong token: the 401's detail.
        await page.goto(`${base}/`);
        await page.getByTestId('signin-token').fill('not-a-token');
        await page.getByTestId('signin-submit').click();
        const signin_error = page.getByTestId('signin-error');
        await signin_error.getByTestId('error').waitFor();
        const unauthorized = await api(`not-a-token`, 'GET', '/api/v1/me');
        assert.equal(unauthorized.status, 401);
        assert.match(await signin_error.textContent(), /Not signed in/);
        assert.ok((await signin_error.textContent()).includes(unauthorized.body.detail));
        assert.doesNotMatch(await signin_error.textContent(), /[{}]|"status"/);
        await shot(page, 'signin-wrong-token');

        // An invalid price: the form's own check, then the API's 422 on the field.
        await sign_in(page, 'demo-hq');
        await go(page, '#/catalogue');
        const row = page.locator('[data-testid="product-row"][data-product-id="10"]');
        const before = await api_ok('demo-hq', 'GET', '/api/v1/products/10');
        await row.getByTestId('product-edit').click();
        await page.getByTestId('product-price-input').fill('12.345');
        await page.getByTestId('product-save').click();
        const price_error = page.locator('[data-testid="field-error"][data-field="price"]');
        await price_error.waitFor();
        assert.match(await price_error.textContent(), /at most two decimals/);
        await page.getByTestId('product-price-input').fill('20000000'); // 2e9 cents: over the API's maximum
        await page.getByTestId('product-save').click();
        await page.getByTestId('product-form-feedback').getByTestId('error').waitFor();
        const rejected = await api('demo-hq', 'PATCH', '/api/v1/products/10', {price_cents: 2_000_000_000});
        assert.equal(rejected.status, 422);
        const message = rejected.body.errors.find((e) => e.field === 'price_cents').message;
        assert.equal(await price_error.textContent(), `Price in cents: ${message}`);
        assert.equal(await page.getByTestId('product-price-input').getAttribute('aria-invalid'), 'true');
        const feedback = await page.getByTestId('product-form-feedback').textContent();
        assert.match(feedback, /Some values are not valid/);
        assert.doesNotMatch(feedback, /[{}]|"status"/);
        await shot(page, 'hq-catalogue-invalid-price');
        await page.getByTestId('product-cancel').click();
        assert.deepEqual(await api_ok('demo-hq', 'GET', '/api/v1/products/10'), before, 'nothing changed');

        // The network fails: say so, offer to retry.
        await context.route(`${base}/api/v1/alerts`, (route) => route.abort('connectionrefused'));
        assert.equal(await go(page, '#/alerts'), 'error');
        assert.match(await page.getByTestId('error').textContent(), /Cannot reach the server/);
        await shot(page, 'hq-alerts-network-error');
        await context.unroute(`${base}/api/v1/alerts`);
        await page.getByTestId('retry').click();
        await page.locator('[data-testid="view"][data-route="alerts"][data-state="ready"]').waitFor();

        // Overload: a 503 with Retry-After says when to retry.
        await context.route(`${base}/api/v1/dashboard`, (route) => route.fulfill({
            status: 503,
            headers: {'Content-Type': 'application/problem+json', 'Retry-After': '7'},
            body: JSON.stringify({type: 'about:blank', title: 'Service Unavailable', status: 503,
                detail: 'The node is overloaded.', request_id: 'e2e-503'}),
        }));
        assert.equal(await go(page, '#/dashboard'), 'error');
        const busy = await page.getByTestId('error').textContent();
        assert.match(busy, /The server is busy/);
        assert.match(busy, /The node is overloaded\./);
        assert.match(busy, /retry in 7 seconds/);
        await context.unroute(`${base}/api/v1/dashboard`);

        // A 409 with short lines names the products: the centre lacks 10000 units.
        const big = await api_ok('demo-clerk-5', 'POST', '/api/v1/stores/5/restock-requests',
            {lines: [{product_id: 2, quantity: 10000}]}, {'Idempotency-Key': crypto.randomUUID()});
        await page.getByTestId('signout').click();
        await page.locator('[data-testid="view"][data-route="signin"]').waitFor();
        assert.match(await page.getByTestId('signin-error').textContent(), /signed out/);
        assert.equal(await page.evaluate(() => sessionStorage.getItem('comptoir.token')), null, 'sign-out forgets the token');
        await page.getByTestId('signin-token').fill('demo-logistics');
        await page.getByTestId('signin-submit').click();
        await settled(page, '#/restock');
        await page.locator(`[data-testid="restock-row"][data-id="${big.id}"] [data-testid="restock-approve"]`).click();
        const conflict = page.getByTestId('restock-feedback').getByTestId('error');
        await conflict.waitFor();
        const product_2 = await api_ok('demo-hq', 'GET', '/api/v1/products/2');
        const short = (await api_ok('demo-hq', 'GET', '/api/v1/warehouse/stock')).items.find((i) => i.product_id === 2).on_hand;
        assert.ok((await conflict.textContent()).includes(`${product_2.name}: 10000 asked, ${short} available`),
            await conflict.textContent());
        await shot(page, 'logistics-approve-conflict');

        // A token that stops working mid-session: back to the sign-in, with why.
        await page.evaluate(() => sessionStorage.setItem('comptoir.token', 'revoked-token'));
        await page.evaluate(() => { window.location.hash = '#/alerts'; });
        await page.locator('[data-testid="view"][data-route="signin"]').waitFor();
        assert.match(await page.getByTestId('signin-flash').textContent(), /Your session has ended: The bearer token is not valid\./);
        await done([
            /Failed to load resource: the server responded with a status of (401|409|422|503)/,
            /Failed to load resource: net::ERR_(CONNECTION_REFUSED|FAILED)/,
        ]);
    });

    test('a tablet (768x1024) gets a collapsed menu and no horizontal overflow', async (t) => {
        const {page, done} = await open_page(t, {viewport: TABLET});
        await sign_in(page, 'demo-hq');
        assert.ok(await page.getByTestId('nav-toggle').isVisible(), 'the menu button shows');
        assert.ok(!(await page.getByTestId('nav-catalogue').isVisible()), 'the links are folded');
        await no_horizontal_overflow(page, 'tablet dashboard');
        await shot(page, 'tablet-hq-dashboard');
        await page.getByTestId('nav-toggle').click();
        assert.equal(await page.getByTestId('nav-toggle').getAttribute('aria-expanded'), 'true');
        await shot(page, 'tablet-hq-menu');
        await page.getByTestId('nav-catalogue').click();
        await settled(page, '#/catalogue');
        assert.ok(!(await page.getByTestId('nav-catalogue').isVisible()), 'the menu folds after a choice');
        for (const [hash, name] of [['#/catalogue', 'catalogue'], ['#/stock/1', 'stock'], ['#/restock', 'restock'],
            ['#/alerts', 'alerts'], ['#/sales/1', 'sales']]) {
            if (hash !== '#/catalogue') await go(page, hash);
            await no_horizontal_overflow(page, `tablet ${name}`);
            await shot(page, `tablet-hq-${name}`);
        }
        await page.getByTestId('nav-toggle').click();
        await page.getByTestId('signout').click();
        await page.locator('[data-testid="view"][data-route="signin"]').waitFor();
        await sign_in(page, 'demo-clerk-1');
        await no_horizontal_overflow(page, 'tablet clerk stock with its order column');
        await shot(page, 'tablet-clerk-stock');
        await done();
    });
});
