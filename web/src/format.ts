// Display formatting. Prices are shown exactly as the API sent them (never rounded), padded to
// two decimals for alignment.

const integer = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' });
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
const time = new Intl.DateTimeFormat('en-GB', { timeStyle: 'short' });
const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const month = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** 150.1 → "150.10", 0.000001 → "0.000001", 1234.5 → "1,234.50": digits kept, never rounded. */
export function price(n: number): string {
  const [whole = '0', frac = ''] = String(n).split('.');
  return `${integer.format(Number(whole))}.${frac.padEnd(2, '0')}`;
}

export const volume = (n: number): string => integer.format(n);
export const count = (n: number): string => integer.format(n);
export const compactNumber = (n: number): string => compact.format(n);
export const change = (fraction: number): string => percent.format(fraction);

/** "2024-01-15" → "15 Jan 2024" */
export const date = (iso: string): string => day.format(new Date(`${iso}T00:00:00Z`));
/** "2024-01-15" → "15 Jan '24", for narrow screens */
export const shortDate = (iso: string): string => `${day.format(new Date(`${iso}T00:00:00Z`)).slice(0, -4)}'${iso.slice(2, 4)}`;
/** "2024-01-15" → "Jan 2024" */
export const monthYear = (iso: string): string => month.format(new Date(`${iso}T00:00:00Z`));

export const timestamp = (iso: string): string => dateTime.format(new Date(iso));
export const clock = (iso: string): string => time.format(new Date(iso));

/** "3 min ago", "in 2 hours". */
export function ago(iso: string, now = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [['day', 86400], ['hour', 3600], ['minute', 60]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return Math.abs(seconds) < 10 ? (seconds <= 0 ? 'just now' : 'in a few seconds') : relative.format(Math.round(seconds), 'second');
}

/** "1 min 5 s", "3.2 s". */
export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Adds months to a YYYY-MM-DD date, clamping to the month's last day (31 Mar − 1 month = 28/29 Feb). */
export function addMonths(iso: string, months: number): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, last));
  return target.toISOString().slice(0, 10);
}
