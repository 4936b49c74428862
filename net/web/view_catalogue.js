// #/catalogue: the products, searched by name or SKU (?q=) and category, a
// page at a time (the API's cursor); hq and admin edit name, price, category
// and description (UC4). Prices are typed in euros and sent as exact cents.

import {get, request} from './api.js';
import * as data from './data.js';
import {add, h, replace} from './dom.js';
import {cents_to_input, format_cents, parse_euros} from './format.js';
import {field_label, problem_view} from './problem.js';
import {can} from './roles.js';

const PAGE = 20;

export async function render_catalogue(ctx) {
    const q = ctx.query.get('q') ?? '';
    const category = ctx.query.get('category') ?? '';
    const editing = can(ctx.session, 'edit_products');
    const all = await data.products();
    const categories = [...new Set([...all.values()].map((p) => p.category))].sort();

    const cursors = [undefined]; // cursors[i] fetches page i
    let index = 0;
    const list = h('div', {testid: 'catalogue-list', dataset: {state: 'loading'}});
    const pager = h('p', {class: 'pager'});
    const editor = editor_dialog(ctx, categories, (product) => {
        const tr = list.querySelector(`tr[data-product-id="${product.id}"]`);
        if (tr) tr.replaceWith(product_row(product));
    });

    async function show(page_index) {
        list.dataset.state = 'loading';
        try {
            const page = await get('/api/v1/products', {q, category, limit: PAGE, cursor: cursors[page_index]});
            index = page_index;
            cursors[index + 1] = page.next_cursor ?? undefined;
            replace(list, h('div', {class: 'table-wrap'}, h('table', {testid: 'catalogue-table'},
                h('thead', {}, h('tr', {},
                    h('th', {scope: 'col'}, 'SKU'), h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Category'),
                    h('th', {scope: 'col', class: 'num'}, 'Price'), h('th', {scope: 'col', class: 'col-desc'}, 'Description'),
                    editing ? h('th', {scope: 'col'}, h('span', {class: 'visually-hidden'}, 'Actions')) : null)),
                h('tbody', {}, page.items.length
                    ? page.items.map(product_row)
                    : h('tr', {class: 'empty'}, h('td', {colspan: editing ? 6 : 5}, 'No product matches.'))))));
            replace(pager,
                h('button', {type: 'button', class: 'secondary', testid: 'catalogue-prev', disabled: index === 0,
                    onclick: () => show(index - 1)}, '← Previous'),
                h('span', {testid: 'catalogue-page', dataset: {page: index + 1}}, ` Page ${index + 1} `),
                h('button', {type: 'button', class: 'secondary', testid: 'catalogue-next', disabled: !page.next_cursor,
                    onclick: () => show(index + 1)}, 'Next →'));
        } catch (error) {
            replace(list, problem_view(error, {on_retry: () => show(page_index)}));
        }
        list.dataset.state = 'ready';
    }

    function product_row(product) {
        return h('tr', {testid: 'product-row', dataset: {productId: product.id}},
            h('td', {class: 'mono', testid: 'product-sku'}, product.sku),
            h('td', {testid: 'product-name'}, product.name),
            h('td', {testid: 'product-category'}, product.category),
            h('td', {class: 'num', testid: 'product-price', dataset: {cents: product.price_cents}}, format_cents(product.price_cents)),
            h('td', {class: 'col-desc', testid: 'product-description'}, product.description),
            editing ? h('td', {class: 'actions'}, h('button', {
                type: 'button', class: 'secondary', testid: 'product-edit', 'aria-label': `Edit ${product.name}`,
                onclick: () => editor.open(product),
            }, 'Edit')) : null);
    }

    const search = h('input', {type: 'search', id: 'catalogue-q', name: 'q', value: q, testid: 'catalogue-search',
        placeholder: 'e.g. syrup or GRO-001', autocomplete: 'off'});
    const category_select = h('select', {id: 'catalogue-category', name: 'category', testid: 'catalogue-category', value: category},
        h('option', {value: ''}, 'All categories'), categories.map((c) => h('option', {value: c}, c)));
    add(ctx.el, 
        h('h1', {}, 'Catalogue'),
        h('form', {class: 'filters', role: 'search', testid: 'catalogue-form', onsubmit: (event) => {
            event.preventDefault();
            ctx.navigate(ctx.with_query({q: search.value.trim(), category: category_select.value}));
        }},
        h('label', {for: 'catalogue-q'}, 'Name or SKU', search),
        h('label', {for: 'catalogue-category'}, 'Category', category_select),
        h('button', {type: 'submit', testid: 'catalogue-search-submit'}, 'Search')),
        list, pager, editor.dialog);
    await show(0);
}

/** The edit form, in a modal dialog; `on_saved(product)` gets the API's answer. */
function editor_dialog(ctx, categories, on_saved) {
    let product = null;
    const fields = {
        name: h('input', {type: 'text', id: 'product-name', name: 'name', required: true, maxlength: 200, testid: 'product-name-input'}),
        price: h('input', {type: 'text', id: 'product-price', name: 'price', inputmode: 'decimal', required: true,
            autocomplete: 'off', testid: 'product-price-input', 'aria-describedby': 'product-price-help'}),
        category: h('input', {type: 'text', id: 'product-category', name: 'category', required: true, maxlength: 200,
            testid: 'product-category-input', list: 'product-categories'}),
        description: h('textarea', {id: 'product-description', name: 'description', rows: 3, maxlength: 2000,
            testid: 'product-description-input'}),
    };
    const errors = Object.fromEntries(Object.keys(fields).map((name) =>
        [name, h('p', {class: 'field-error', id: `product-${name}-error`, testid: 'field-error', dataset: {field: name}, hidden: true})]));
    const feedback = h('div', {testid: 'product-form-feedback'});
    const title = h('h2', {id: 'product-form-title'});
    const save = h('button', {type: 'submit', testid: 'product-save'}, 'Save');

    function field(name, label, help) {
        return h('div', {class: 'field'},
            h('label', {for: fields[name].id}, label), fields[name],
            help ? h('p', {class: 'hint', id: `product-${name}-help`}, help) : null, errors[name]);
    }

    function show_field_error(name, message) {
        errors[name].textContent = message;
        errors[name].hidden = !message;
        fields[name].setAttribute('aria-invalid', message ? 'true' : 'false');
        if (message) fields[name].setAttribute('aria-errormessage', errors[name].id);
    }

    function clear_errors() {
        for (const name of Object.keys(fields)) show_field_error(name, '');
        replace(feedback);
    }

    async function submit(event) {
        event.preventDefault();
        clear_errors();
        const price = parse_euros(fields.price.value);
        if (price.error) {
            show_field_error('price', price.error);
            fields.price.focus();
            return;
        }
        const patch = {};
        if (fields.name.value !== product.name) patch.name = fields.name.value;
        if (fields.category.value !== product.category) patch.category = fields.category.value;
        if (fields.description.value !== product.description) patch.description = fields.description.value;
        if (price.cents !== product.price_cents) patch.price_cents = price.cents;
        if (Object.keys(patch).length === 0) {
            replace(feedback, h('p', {class: 'hint'}, 'Nothing changed.'));
            return;
        }
        save.disabled = true;
        try {
            const saved = await request('PATCH', `/api/v1/products/${product.id}`, {body: patch});
            await data.remember_product(saved);
            on_saved(saved);
            dialog.close();
            ctx.notify(`Saved ${saved.name}: ${format_cents(saved.price_cents)}.`);
        } catch (error) {
            const by_field = {price_cents: 'price', name: 'name', category: 'category', description: 'description'};
            for (const e of error.errors ?? []) {
                if (by_field[e.field]) show_field_error(by_field[e.field], `${field_label(e.field)}: ${e.message}`);
            }
            replace(feedback, problem_view(error));
        } finally {
            save.disabled = false;
        }
    }

    const dialog = h('dialog', {class: 'editor', testid: 'product-dialog', 'aria-labelledby': 'product-form-title'},
        h('form', {testid: 'product-form', novalidate: true, onsubmit: submit},
            title,
            field('name', 'Name'),
            field('price', 'Price (€)', 'In euros, e.g. 12.34 or 12,34.'),
            field('category', 'Category'),
            field('description', 'Description'),
            h('datalist', {id: 'product-categories'}, categories.map((c) => h('option', {value: c}))),
            feedback,
            h('div', {class: 'buttons'},
                save,
                h('button', {type: 'button', class: 'secondary', testid: 'product-cancel', onclick: () => dialog.close()}, 'Cancel'))));

    return {
        dialog,
        open(p) {
            product = p;
            clear_errors();
            title.textContent = `Edit ${p.sku}`;
            fields.name.value = p.name;
            fields.price.value = cents_to_input(p.price_cents);
            fields.category.value = p.category;
            fields.description.value = p.description;
            dialog.showModal();
            fields.name.focus();
        },
    };
}
