// API errors (RFC 9457 problem details) as messages for people: a title that
// says what happened, the API's detail, the invalid fields, the short lines
// of a 409, and what to do next. Never the raw JSON.

import {h} from './dom.js';

const TITLES = {
    400: 'The request was not valid',
    401: 'Not signed in',
    403: 'Not allowed',
    404: 'Not found',
    409: 'Cannot be done now',
    413: 'Too much data',
    422: 'Some values are not valid',
    429: 'Too many requests',
    503: 'The server is busy',
};

const FIELD_NAMES = {
    price_cents: 'Price in cents',
    name: 'Name',
    category: 'Category',
    description: 'Description',
    from: 'From',
    to: 'To',
    status: 'Status',
    cursor: 'Page',
    limit: 'Page size',
    q: 'Search',
};

/** A field of the API ("price_cents", "lines[0].quantity") named for people. */
export function field_label(field) {
    return FIELD_NAMES[field] ?? field;
}

/** A local refusal (the page's own role check) in the shape of an API error. */
export function not_allowed(what) {
    return {status: 403, title: 'Not allowed', detail: `Your role may not see ${what}.`, errors: [], lines: []};
}

function problem_title(error) {
    if (error.network) return 'Cannot reach the server';
    if (TITLES[error.status]) return TITLES[error.status];
    if (error.status >= 500) return 'The server failed';
    return error.title || 'Something went wrong';
}

/** What to do about it, when there is something to do. */
function problem_advice(error) {
    if (error.network) return 'Check the network connection and that the Comptoir node is running, then retry.';
    if (error.status === 503) {
        const seconds = Number.parseInt(error.retry_after ?? '', 10);
        return Number.isFinite(seconds) && seconds > 0
            ? `Please retry in ${seconds} second${seconds === 1 ? '' : 's'}.`
            : 'Please retry in a moment.';
    }
    if (error.status >= 500) return 'Please retry; if it goes on, give the request id to the operators.';
    return '';
}

/**
 * The message element. `product_name(id)` names the products of a 409's
 * short lines; `on_retry`, when given, adds a Retry button for the errors
 * a retry can cure.
 */
export function problem_view(error, {product_name = (id) => `Product #${id}`, on_retry} = {}) {
    if (!error || (typeof error.status !== 'number' && !error.network)) {
        // A bug of the page, not an API answer: still a message, not a blank view.
        console.error(error);
        error = {status: 0, title: 'Unexpected error in the page', detail: String(error?.message ?? error), errors: [], lines: []};
    }
    const advice = problem_advice(error);
    const retryable = error.network || error.status >= 500;
    return h('div', {class: 'problem', role: 'alert', testid: 'error', dataset: {status: error.status}},
        h('p', {class: 'problem-title'}, h('strong', {}, problem_title(error))),
        error.detail && !error.network ? h('p', {testid: 'error-detail'}, error.detail) : null,
        error.errors?.length
            ? h('ul', {class: 'field-errors'}, error.errors.map((e) =>
                h('li', {testid: 'error-field', dataset: {field: e.field}}, `${field_label(e.field)}: ${e.message}`)))
            : null,
        error.lines?.length
            ? h('ul', {class: 'short-lines'}, error.lines.map((line) =>
                h('li', {testid: 'error-line', dataset: {productId: line.product_id}},
                    `${product_name(line.product_id)}: ${line.requested} asked, ${line.available} available`)))
            : null,
        advice ? h('p', {class: 'advice'}, advice) : null,
        retryable && on_retry ? h('p', {}, h('button', {type: 'button', testid: 'retry', onclick: on_retry}, 'Retry')) : null,
        error.request_id ? h('p', {class: 'request-id'}, `Request id: ${error.request_id}`) : null);
}
