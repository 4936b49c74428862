// The page's only way to the server: the public HTTP API (docs/API.md), with
// the signed-in token. Failures become ApiError values that the views show
// as readable messages (problem.js); a 401 signs the page out.

const TOKEN_KEY = 'comptoir.token';

export class ApiError extends Error {
    constructor({status = 0, title = '', detail = '', errors = [], lines = [],
                 request_id = '', retry_after = null, network = false}) {
        super(detail || title || `HTTP ${status}`);
        this.name = 'ApiError';
        this.status = status; // 0 when the server could not be reached
        this.title = title;
        this.detail = detail;
        this.errors = errors; // [{field, message}] of a 400/422
        this.lines = lines; // [{product_id, requested, available}] of a 409
        this.request_id = request_id;
        this.retry_after = retry_after;
        this.network = network;
    }
}

export function stored_token() {
    return sessionStorage.getItem(TOKEN_KEY);
}

export function store_token(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
}

export function forget_token() {
    sessionStorage.removeItem(TOKEN_KEY);
}

let on_unauthorized = () => {};

/** Called with the ApiError of any 401 answered to the stored token. */
export function set_unauthorized_handler(handler) {
    on_unauthorized = handler;
}

/**
 * One API call. `query` members that are undefined, null or '' are left out;
 * `token` overrides the stored one (sign-in); `idempotency_key` is sent as
 * the Idempotency-Key header. Resolves to the parsed JSON body (null for an
 * empty one); rejects with an ApiError.
 */
export async function request(method, path, {query, body, token, idempotency_key} = {}) {
    const url = new URL(path, window.location.origin);
    for (const [name, value] of Object.entries(query ?? {})) {
        if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
    }
    const headers = {Accept: 'application/json'};
    const bearer = token ?? stored_token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotency_key) headers['Idempotency-Key'] = idempotency_key;

    let response;
    try {
        response = await fetch(url, {
            method, headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            cache: 'no-store', // per-token answers: never from the browser's cache
            credentials: 'omit',
            redirect: 'error',
        });
    } catch (error) {
        throw new ApiError({network: true, title: 'Cannot reach the server', detail: String(error?.message ?? error)});
    }

    const text = await response.text().catch(() => '');
    let parsed = null;
    if (text && /json/i.test(response.headers.get('Content-Type') ?? '')) {
        try {
            parsed = JSON.parse(text);
        } catch {
            parsed = null;
        }
    }
    if (response.ok) return parsed;

    const problem = parsed && typeof parsed === 'object' ? parsed : {};
    const error = new ApiError({
        status: response.status,
        title: typeof problem.title === 'string' ? problem.title : response.statusText,
        detail: typeof problem.detail === 'string' ? problem.detail : '',
        errors: Array.isArray(problem.errors) ? problem.errors : [],
        lines: Array.isArray(problem.lines) ? problem.lines : [],
        request_id: problem.request_id ?? response.headers.get('X-Request-Id') ?? '',
        retry_after: response.headers.get('Retry-After'),
    });
    if (response.status === 401 && token === undefined) on_unauthorized(error);
    throw error;
}

export function get(path, query) {
    return request('GET', path, {query});
}

/** Every item of a paginated list, following next_cursor. */
export async function get_all(path, query = {}) {
    const items = [];
    let cursor;
    do {
        const page = await get(path, {...query, limit: 500, cursor});
        items.push(...page.items);
        cursor = page.next_cursor;
    } while (cursor);
    return items;
}

/** A fresh Idempotency-Key (a UUIDv4), also outside secure contexts. */
function new_idempotency_key() {
    if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Sends a mutation so that a double click or a retry never repeats it: the
 * same action with the same body reuses its Idempotency-Key until it has
 * an answer (success or a definite refusal), and the API replays the first
 * answer instead of moving money or stock twice. Concurrent calls for one
 * action share one request.
 */
export function once_per_action() {
    const keys = new Map(); // action -> {body, key}
    const in_flight = new Map(); // action -> promise
    return function send(action, method, path, body) {
        if (in_flight.has(action)) return in_flight.get(action);
        const body_text = JSON.stringify(body ?? null);
        let entry = keys.get(action);
        if (!entry || entry.body !== body_text) {
            entry = {body: body_text, key: new_idempotency_key()};
            keys.set(action, entry);
        }
        const promise = request(method, path, {body, idempotency_key: entry.key})
            .then((result) => {
                keys.delete(action);
                return result;
            }, (error) => {
                // Only an answer we did not get (network, 5xx) is retried with the same key.
                if (!error.network && error.status < 500) keys.delete(action);
                throw error;
            })
            .finally(() => in_flight.delete(action));
        in_flight.set(action, promise);
        return promise;
    };
}
