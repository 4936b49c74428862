// The managers' page (UC8): sign-in with a token, then the views a role may
// see, by hash route (#/dashboard, #/stock/3, ...). Each view is a module
// that renders into a fresh element from the public API's answers.

import {forget_token, request, set_unauthorized_handler, store_token, stored_token} from './api.js';
import {reset_caches} from './data.js';
import {h, replace} from './dom.js';
import {not_allowed, problem_view} from './problem.js';
import {can, role_label} from './roles.js';
import {render_alerts} from './view_alerts.js';
import {render_catalogue} from './view_catalogue.js';
import {render_dashboard} from './view_dashboard.js';
import {render_restock} from './view_restock.js';
import {render_sale, render_sales} from './view_sales.js';
import {render_stock} from './view_stock.js';

const ROUTES = {
    dashboard: {title: 'Dashboard', render: render_dashboard, may: (s) => can(s, 'see_dashboard'), what: 'the dashboard'},
    alerts: {title: 'Alerts', render: render_alerts, may: (s) => can(s, 'see_alerts'), what: 'the alerts'},
    restock: {title: 'Restock', render: render_restock, may: () => true},
    catalogue: {title: 'Catalogue', render: render_catalogue, may: () => true},
    stock: {title: 'Stock', render: render_stock, may: () => true},
    sales: {title: 'Sales', render: render_sales, may: (s) => can(s, 'see_sales'), what: 'the sales'},
    sale: {title: 'Sale', render: render_sale, may: (s) => can(s, 'see_sales'), what: 'the sales', hidden: true},
};

const view = document.querySelector('[data-testid="view"]');
const topbar = document.querySelector('[data-testid="topbar"]');
const nav_links = document.querySelector('[data-testid="nav-links"]');
const nav_toggle = document.querySelector('[data-testid="nav-toggle"]');
const role_badge = document.querySelector('[data-testid="user-role"]');
const notice = document.querySelector('[data-testid="notice"]');

let session = null; // {role, store_id} from GET /api/v1/me
let generation = 0; // the newest navigation; older renders drop their result
let flash = null; // {text, kind} for the sign-in screen

// -- routes -------------------------------------------------------------------

function current() {
    const raw = window.location.hash.replace(/^#\/?/, '');
    const mark = raw.indexOf('?');
    const path = mark < 0 ? raw : raw.slice(0, mark);
    const segments = path.split('/').filter(Boolean).map((s) => {
        try {
            return decodeURIComponent(s);
        } catch {
            return s;
        }
    });
    return {name: segments[0] ?? '', params: segments.slice(1), query: new URLSearchParams(mark < 0 ? '' : raw.slice(mark + 1))};
}

function default_hash() {
    if (can(session, 'see_dashboard')) return '#/dashboard';
    if (session?.role === 'logistics') return '#/restock';
    if (session?.role === 'clerk' && session.store_id != null) return `#/stock/${session.store_id}`;
    return '#/catalogue';
}

function navigate(hash, {replace: in_place = false} = {}) {
    if (in_place) {
        window.history.replaceState(null, '', hash);
        route();
    } else if (window.location.hash === hash) {
        route();
    } else {
        window.location.hash = hash;
    }
}

/** The current route's hash with some query members changed ('' removes one). */
function with_query(changes) {
    const {name, params, query} = current();
    for (const [key, value] of Object.entries(changes)) {
        if (value === undefined || value === null || value === '') query.delete(key);
        else query.set(key, String(value));
    }
    const text = query.toString();
    return `#/${[name, ...params].map(encodeURIComponent).join('/')}${text ? `?${text}` : ''}`;
}

async function route() {
    const mine = ++generation;
    hide_notice();
    close_menu();
    const {name, params, query} = current();

    if (!stored_token()) {
        show_signin();
        return;
    }
    if (!session) {
        set_state('loading', name);
        try {
            session = await request('GET', '/api/v1/me');
        } catch (error) {
            if (mine !== generation) return;
            if (error.status === 401) return; // the unauthorized handler shows the sign-in
            replace(view, h('h1', {}, 'Comptoir'), problem_view(error, {on_retry: route}));
            set_state('error', name);
            return;
        }
        if (mine !== generation) return;
        show_shell();
    }
    if (!name || name === 'signin') {
        navigate(default_hash(), {replace: true});
        return;
    }

    const entry = ROUTES[name];
    mark_active(name);
    set_state('loading', name);
    replace(view, h('p', {class: 'loading'}, 'Loading…'));
    document.title = `${entry?.title ?? 'Not found'} · Comptoir`;
    const el = h('div', {class: 'view-body'});
    try {
        if (!entry) throw {status: 404, title: 'Not found', detail: `There is no page "${name}".`, errors: [], lines: []};
        if (!entry.may(session)) throw not_allowed(entry.what);
        await entry.render({session, params, query, el, navigate, with_query, notify});
        if (mine !== generation) return;
        replace(view, el);
        set_state('ready', name);
    } catch (error) {
        if (mine !== generation) return;
        if (error?.status === 401 && !stored_token()) return; // signed out meanwhile
        replace(view, h('h1', {}, entry?.title ?? 'Not found'), problem_view(error, {on_retry: route}));
        set_state('error', name);
    }
}

function set_state(state, name) {
    view.dataset.state = state;
    view.dataset.route = name || 'home';
    view.dataset.hash = window.location.hash; // which navigation this state is of (for tests)
    view.setAttribute('aria-busy', state === 'loading' ? 'true' : 'false');
}

// -- shell --------------------------------------------------------------------

function show_shell() {
    topbar.hidden = false;
    role_badge.textContent = role_label(session);
    role_badge.dataset.role = session.role;
    replace(nav_links, Object.entries(ROUTES)
        .filter(([, entry]) => !entry.hidden && entry.may(session))
        .map(([name, entry]) => h('li', {},
            h('a', {href: `#/${name}`, testid: `nav-${name}`, dataset: {route: name}}, entry.title))));
}

function mark_active(name) {
    const active = name === 'sale' ? 'sales' : name;
    for (const link of nav_links.querySelectorAll('a')) {
        if (link.dataset.route === active) link.setAttribute('aria-current', 'page');
        else link.removeAttribute('aria-current');
    }
}

function close_menu() {
    topbar.classList.remove('open');
    nav_toggle.setAttribute('aria-expanded', 'false');
}

nav_toggle.addEventListener('click', () => {
    const open = !topbar.classList.contains('open');
    topbar.classList.toggle('open', open);
    nav_toggle.setAttribute('aria-expanded', String(open));
});

function notify(text, kind = 'success') {
    replace(notice, h('span', {}, text),
        h('button', {type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: hide_notice}, '×'));
    notice.className = `notice ${kind}`;
    notice.hidden = false;
}

function hide_notice() {
    notice.hidden = true;
    notice.replaceChildren();
}

// -- sign-in and sign-out -----------------------------------------------------

function sign_out(message) {
    forget_token();
    session = null;
    reset_caches();
    flash = message;
    topbar.hidden = true;
    navigate('#/signin');
}

function show_signin() {
    topbar.hidden = true;
    document.title = 'Sign in · Comptoir';
    const input = h('input', {
        type: 'password', id: 'signin-token', name: 'token', required: true, autocomplete: 'off',
        spellcheck: 'false', testid: 'signin-token', 'aria-describedby': 'signin-help',
    });
    const messages = h('div', {testid: 'signin-error', 'aria-live': 'assertive'});
    if (flash) {
        messages.append(h('p', {class: flash.kind === 'info' ? 'hint' : 'problem', role: 'alert', testid: 'signin-flash'}, flash.text));
        flash = null;
    }
    const submit = h('button', {type: 'submit', testid: 'signin-submit'}, 'Sign in');

    async function sign_in(event) {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) {
            replace(messages, h('p', {class: 'problem', role: 'alert'}, 'Enter your access token.'));
            return;
        }
        submit.disabled = true;
        replace(messages);
        try {
            const me = await request('GET', '/api/v1/me', {token});
            store_token(token);
            session = me;
            reset_caches();
            show_shell();
            const {name} = current();
            navigate(ROUTES[name] ? window.location.hash : default_hash(), {replace: true});
        } catch (error) {
            replace(messages, problem_view(error));
            input.select();
        } finally {
            submit.disabled = false;
        }
    }

    replace(view, h('section', {class: 'signin panel', 'aria-labelledby': 'signin-title'},
        h('h1', {id: 'signin-title'}, 'Comptoir managers'),
        h('form', {testid: 'signin-form', onsubmit: sign_in},
            h('div', {class: 'field'},
                h('label', {for: 'signin-token'}, 'Access token'), input,
                h('p', {class: 'hint', id: 'signin-help'},
                    'The API token your administrator gave you. It is kept in this tab only, until you sign out or close it.')),
            messages,
            submit)));
    set_state('ready', 'signin');
    input.focus();
}

document.querySelector('[data-testid="signout"]').addEventListener('click', () =>
    sign_out({text: 'You are signed out.', kind: 'info'}));

set_unauthorized_handler((error) => {
    if (!stored_token()) return;
    sign_out({text: `Your session has ended: ${error.detail || 'the token is not valid'} Please sign in again.`, kind: 'problem'});
});

window.addEventListener('hashchange', route);
route();
