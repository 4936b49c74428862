// Money, quantities and times for people. Money is integer cents in the API
// and stays an integer here: formatting and parsing work on digits, never on
// floating-point euros.

/** 123456 -> "€1,234.56", -1200 -> "-€12.00". */
export function format_cents(cents) {
    const value = Number(cents);
    if (!Number.isSafeInteger(value)) return String(cents);
    const abs = Math.abs(value);
    const euros = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    const rest = String(abs % 100).padStart(2, '0');
    return `${value < 0 ? '-' : ''}€${euros}.${rest}`;
}

/** Cents as the edit form shows them: 1299 -> "12.99". */
export function cents_to_input(cents) {
    const value = Number(cents);
    const abs = Math.abs(value);
    return `${value < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Euros typed by a person to integer cents, exactly: "12.34", "12,34",
 * "€ 12.3", "12" -> {cents}; anything else -> {error}. Only the form is
 * checked here; the range is the API's to judge (its 422 names the field).
 */
export function parse_euros(text) {
    const cleaned = String(text).replace(/[\s\u00a0\u202f€]/g, '');
    const match = /^(-?)(\d{1,13})(?:[.,](\d{1,2}))?$/.exec(cleaned);
    if (!match) {
        return {error: 'Enter an amount in euros with at most two decimals, e.g. 12.34'};
    }
    const [, sign, whole, fraction = ''] = match;
    const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
    return {cents: sign === '-' ? -cents : cents};
}

const date_time = new Intl.DateTimeFormat('en-GB', {dateStyle: 'medium', timeStyle: 'short'});

/** "2026-03-01T12:34:56.789Z" -> "1 Mar 2026, 13:34" (local time). */
export function format_time(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : date_time.format(date);
}

/** "2026-03-01" + n days, in UTC, as "YYYY-MM-DD". */
export function add_days(day, n) {
    const date = new Date(`${day}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + n);
    return date.toISOString().slice(0, 10);
}

export function plural(n, one, many = `${one}s`) {
    return `${n} ${n === 1 ? one : many}`;
}
