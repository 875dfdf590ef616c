import { exactUtc, formatCalendarDate, formatDateTime, relativeTo } from "../lib/dates";

/** A moment in the user's locale; the exact UTC time is on hover. */
export function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={exactUtc(iso)}>
      {formatDateTime(iso)}
    </time>
  );
}

/** A countdown such as "in 3 days", with the exact time on hover. */
export function Countdown({ iso, now }: { iso: string; now: number }) {
  return (
    <time dateTime={iso} title={`${formatDateTime(iso)} (${exactUtc(iso)})`}>
      {relativeTo(iso, now)}
    </time>
  );
}

/** A due date (a UTC calendar day). */
export function DueDate({ day, overdue }: { day: string | null; overdue?: boolean }) {
  if (!day) return <span className="muted">No due date</span>;
  return (
    <span className={overdue ? "overdue" : undefined}>
      <time dateTime={day} title={`End of ${day} UTC`}>
        {formatCalendarDate(day)}
      </time>
      {overdue && <strong className="badge badge-warn"> Overdue</strong>}
    </span>
  );
}
