/** Dates in the user's locale, with the exact UTC instant available on hover. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

/** "2026-11-25 22:16:27 UTC" */
export function exactUtc(iso: string): string {
  return new Date(iso)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
}

/** A calendar date "YYYY-MM-DD" (due dates are UTC days). */
export function formatCalendarDate(day: string): string {
  return dateOnly.format(new Date(`${day}T00:00:00Z`));
}

/** "in 3 days", "in 5 hours", "2 days ago", relative to `now` (the server's clock). */
export function relativeTo(iso: string, now: number): string {
  const ms = new Date(iso).getTime() - now;
  const abs = Math.abs(ms);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["day", 86_400_000],
    ["hour", 3_600_000],
    ["minute", 60_000],
  ];
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of units) {
    if (abs >= size) return format.format(Math.round(ms / size), unit);
  }
  return ms >= 0 ? "in under a minute" : "just now";
}

/** Today's UTC calendar date as YYYY-MM-DD. */
export function todayUtc(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}
