// Two small SVG charts drawn from API numbers: horizontal bars (revenue per
// store) and a line (the weekly trend). Colours come from app.css classes;
// every mark carries its number in data-* for the tests and a <title> for
// people.

import {s} from './dom.js';
import {format_cents} from './format.js';

const WIDTH = 640;

/** Compact money for axis labels: 123456 cents -> "€1.2k". */
function short_cents(cents) {
    const euros = cents / 100;
    const abs = Math.abs(euros);
    if (abs >= 1e6) return `€${(euros / 1e6).toFixed(1)}M`;
    if (abs >= 1e3) return `€${(euros / 1e3).toFixed(1)}k`;
    return `€${Math.round(euros)}`;
}

/**
 * Bars: items [{id, label, cents}], one row each: the label and the amount
 * above a bar as long as the amount is against the largest one.
 */
export function bar_chart({items, label, testid, bar_testid}) {
    const WIDTH = 420; // drawn half-width beside its table: larger type
    const row = 48;
    const height = Math.max(row * items.length, row);
    const largest = Math.max(1, ...items.map((i) => i.cents));
    const svg = s('svg', {
        class: 'chart bar-chart', viewBox: `0 0 ${WIDTH} ${height}`, role: 'img',
        'aria-label': label, testid, preserveAspectRatio: 'xMinYMin meet',
    }, s('title', {}, label));
    items.forEach((item, index) => {
        const y = index * row;
        const width = Math.max(0, Math.round((item.cents / largest) * WIDTH));
        svg.append(
            s('text', {x: 0, y: y + 16, class: 'chart-label'}, item.label),
            s('text', {x: WIDTH, y: y + 16, class: 'chart-value', 'text-anchor': 'end'}, format_cents(item.cents)),
            s('rect', {x: 0, y: y + 22, width: WIDTH, height: 16, rx: 3, class: 'bar-track'}),
            s('rect', {
                x: 0, y: y + 22, width, height: 16, rx: 3, class: 'bar',
                testid: bar_testid, dataset: {id: item.id, cents: item.cents},
            }, s('title', {}, `${item.label}: ${format_cents(item.cents)}`)));
    });
    return svg;
}

/** A line over points [{label, key, cents}], oldest first, with a y axis from 0. */
export function line_chart({points, label, testid, point_testid}) {
    const height = 260;
    const left = 64;
    const right = 16;
    const top = 16;
    const bottom = 36;
    const plot_w = WIDTH - left - right;
    const plot_h = height - top - bottom;
    const values = points.map((p) => p.cents);
    const high = Math.max(1, ...values);
    const low = Math.min(0, ...values);
    const x_of = (i) => left + (points.length <= 1 ? plot_w / 2 : (i * plot_w) / (points.length - 1));
    const y_of = (v) => top + plot_h - ((v - low) / (high - low)) * plot_h;

    const svg = s('svg', {
        class: 'chart line-chart', viewBox: `0 0 ${WIDTH} ${height}`, role: 'img',
        'aria-label': label, testid, preserveAspectRatio: 'xMinYMin meet',
    }, s('title', {}, label));
    for (const tick of [low, (low + high) / 2, high]) {
        const y = y_of(tick);
        svg.append(
            s('line', {x1: left, x2: WIDTH - right, y1: y, y2: y, class: 'grid'}),
            s('text', {x: left - 8, y: y + 4, class: 'chart-axis', 'text-anchor': 'end'}, short_cents(tick)));
    }
    if (points.length > 0) {
        const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x_of(i).toFixed(1)},${y_of(p.cents).toFixed(1)}`).join(' ');
        svg.append(s('path', {d: path, class: 'trend-line'}));
    }
    points.forEach((point, i) => {
        svg.append(
            s('circle', {
                cx: x_of(i).toFixed(1), cy: y_of(point.cents).toFixed(1), r: 5, class: 'trend-point',
                testid: point_testid, dataset: {key: point.key, cents: point.cents},
            }, s('title', {}, `${point.key}: ${format_cents(point.cents)}`)),
            s('text', {x: x_of(i).toFixed(1), y: height - 12, class: 'chart-axis', 'text-anchor': 'middle'}, point.label));
    });
    return svg;
}
