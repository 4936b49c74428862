// What several views need and rarely changes: the stores and the catalogue,
// fetched once per sign-in and kept in memory (the catalogue is refreshed
// after an edit, and when a view meets a product it does not know).

import {get, get_all} from './api.js';

let stores_promise = null;
let products_promise = null;

export function reset_caches() {
    stores_promise = null;
    products_promise = null;
}

function remembered(promise, forget) {
    promise.catch(forget);
    return promise;
}

/** [{id, name, city}] */
export function stores() {
    stores_promise ??= remembered(get('/api/v1/stores').then((page) => page.items), () => { stores_promise = null; });
    return stores_promise;
}

/** Map id -> product, the whole catalogue. */
export function products({refresh = false} = {}) {
    if (refresh) products_promise = null;
    products_promise ??= remembered(
        get_all('/api/v1/products').then((items) => new Map(items.map((p) => [p.id, p]))),
        () => { products_promise = null; });
    return products_promise;
}

/** Updates the cached catalogue with a product the API just answered. */
export async function remember_product(product) {
    if (!products_promise) return;
    try {
        (await products_promise).set(product.id, product);
    } catch {
        // The next view fetches the catalogue again.
    }
}

/** Products by id, refreshed once if some id is unknown (a product created since). */
export async function products_for(ids) {
    let map = await products();
    if ([...ids].some((id) => !map.has(id))) map = await products({refresh: true});
    return map;
}

export function product_name(map, id) {
    return map.get(id)?.name ?? `Product #${id}`;
}

export function store_name(list, id) {
    const store = list.find((s) => s.id === id);
    return store ? store.name : `Store #${id}`;
}
