// What each role may do, as docs/API.md's "who" column says. The page hides
// what a role may not do; the API refuses it anyway (403).

const RULES = {
    see_dashboard: ['hq', 'admin'],
    see_report: ['hq', 'admin'],
    see_alerts: ['hq', 'logistics', 'admin'],
    see_sales: ['clerk', 'hq', 'admin'], // a clerk: their own store's only
    decide_restock: ['logistics', 'admin'],
    request_restock: ['clerk', 'admin'], // a clerk: for their own store only
    edit_products: ['hq', 'admin'],
};

/** Whether session may do `what`, for store `store_id` when it matters. */
export function can(session, what, store_id) {
    if (!session || !RULES[what]?.includes(session.role)) return false;
    if (session.role === 'clerk' && store_id !== undefined && (what === 'see_sales' || what === 'request_restock')) {
        return store_id === session.store_id;
    }
    return true;
}

export function role_label(session) {
    const names = {admin: 'Administrator', hq: 'Head office', logistics: 'Logistics', clerk: 'Clerk'};
    const name = names[session.role] ?? session.role;
    return session.role === 'clerk' && session.store_id != null ? `${name} · store ${session.store_id}` : name;
}
