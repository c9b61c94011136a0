/**
 * Dates and times as the technician reads them: through `Intl`, in the device's locale and time
 * zone, relative where that is quicker to read ("yesterday 16:05", "today 08:00"). `locale` is for
 * tests; the app passes none, so the browser's own is used.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole calendar days from `now` to `at` in the device's time zone: -1 yesterday, 0 today, 1 tomorrow. */
function calendarDays(at: Date, now: Date): number {
  const day = (d: Date) => Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
  return Math.round((day(at) - day(now)) / DAY_MS);
}

/** A clock time: "8:00" or "8:00 AM", as the locale writes it; with `seconds`, "8:00:05". */
export function formatClock(at: Date | number, locale?: string, { seconds = false } = {}): string {
  return new Intl.DateTimeFormat(locale, {
    hour: 'numeric',
    minute: '2-digit',
    second: seconds ? '2-digit' : undefined,
  }).format(at);
}

/**
 * When something is or was: "yesterday 16:05", "today 08:00", "tomorrow 07:30" within a day of
 * now, else "Tue 24 Nov, 08:00" (with the year when it is not this year's).
 */
export function formatWhen(at: Date | number, now: Date = new Date(), locale?: string): string {
  const date = new Date(at);
  const days = calendarDays(date, now);
  if (Math.abs(days) <= 1) {
    const word = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(days, 'day');
    return `${word} ${formatClock(date, locale)}`;
  }
  return new Intl.DateTimeFormat(locale, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: date.getFullYear() === now.getFullYear() ? undefined : 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  }).format(date);
}

/** A scheduled time from the API (ISO 8601), or "Not scheduled". */
export function formatScheduled(value: unknown, now: Date = new Date(), locale?: string): string {
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(time) ? 'Not scheduled' : formatWhen(time, now, locale);
}
