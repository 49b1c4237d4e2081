/*
 * Date and text helpers for lambdas: the globals formatDate and formatRelative, and the `helpers` object.
 *
 *   formatDate('2026-01-02T09:30:00')     -> '2026-01-02 09:30'   (a date alone stays '2026-01-02')
 *   formatRelative(item.create_time)      -> '3 days ago', 'in 2 hours', 'just now'
 *   helpers.truncate('abcdef', 4)         -> 'abc…'
 *   helpers.pad(7, 3)                     -> '007'
 *   helpers.daysBetween(a, b)             -> whole days from a to b (b defaults to now); null if either is no date
 *
 * Inputs are ISO date or datetime strings (as the database gives them) or Dates.  null, undefined and '' give '';
 * anything else that is not a date comes back unchanged.  A datetime without a zone is shown as written (the
 * database's clock); one with a zone is shown in UTC.
 *
 * Evaluating this file yields a function that returns {formatDate, formatRelative, helpers}; prelude.js freezes
 * them with the rest of the environment.
 */
(function () {
  'use strict';
  const now = Date.now;

  const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

  // {ms, hasTime} for an ISO date/datetime string or a Date; null when it is neither.
  function when(v) {
    if (v instanceof Date) {
      const ms = v.getTime();
      return Number.isNaN(ms) ? null : { ms, hasTime: true };
    }
    if (typeof v !== 'string') return null;
    const m = DATE.exec(v.trim());
    if (!m) return null;
    const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1, 7);
    let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
    const check = new Date(ms);
    if (check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d || +h > 23 || +mi > 59) return null;
    if (m[7] && m[7].toUpperCase() !== 'Z') {
      const sign = m[7][0] === '-' ? -1 : 1;
      const digits = m[7].replace(/[^0-9]/g, '');
      ms -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2)) * 60000;
    }
    return { ms, hasTime: m[4] !== undefined };
  }

  const two = (n) => String(n).padStart(2, '0');

  function formatDate(v) {
    if (v === null || v === undefined || v === '') return '';
    const t = when(v);
    if (t === null) return v;
    const d = new Date(t.ms);
    const day = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
    return t.hasTime ? `${day} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}` : day;
  }

  const UNITS = [['year', 365 * 86400], ['month', 30 * 86400], ['day', 86400], ['hour', 3600], ['minute', 60]];

  function formatRelative(v) {
    if (v === null || v === undefined || v === '') return '';
    const t = when(v);
    if (t === null) return v;
    const seconds = (t.ms - now()) / 1000;
    const unit = UNITS.find(([, size]) => Math.abs(seconds) >= size);
    if (!unit) return 'just now';
    const n = Math.floor(Math.abs(seconds) / unit[1]);
    const text = `${n} ${unit[0]}${n === 1 ? '' : 's'}`;
    return seconds < 0 ? `${text} ago` : `in ${text}`;
  }

  const helpers = {
    truncate(text, n) {
      const s = text === null || text === undefined ? '' : String(text);
      if (s.length <= n) return s;
      const cut = Math.max(n - 1, 0);
      const end = cut > 0 && /[\uD800-\uDBFF]/.test(s[cut - 1]) ? cut - 1 : cut;
      return s.slice(0, end) + '…';
    },
    pad(n, width) {
      const s = String(n);
      return s[0] === '-' ? '-' + s.slice(1).padStart(width - 1, '0') : s.padStart(width, '0');
    },
    daysBetween(a, b) {
      const from = when(a);
      const to = b === undefined ? { ms: now() } : when(b);
      return from === null || to === null ? null : Math.trunc((to.ms - from.ms) / 86400000);
    },
  };

  return { formatDate, formatRelative, helpers };
})
