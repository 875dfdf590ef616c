import { Link } from "react-router-dom";
import type { AppNotification } from "../../api/types";
import { Time } from "../../components/Time";

/**
 * Notifications, newest first. An unread one says so in words (not only by its look), and can
 * be marked read on its own or by opening its contract.
 */
export function NotificationList({
  items,
  onMarkRead,
  busyId,
}: {
  items: readonly AppNotification[];
  onMarkRead: (id: string) => void;
  /** The notification being marked read now (its button waits). */
  busyId?: string | null;
}) {
  return (
    <ul className="notification-list">
      {items.map((item) => {
        const unread = item.readAt === null;
        return (
          <li key={item.id} className={unread ? "notification unread" : "notification"}>
            <p className="notification-message">
              {unread && <strong className="badge badge-info">Unread</strong>} {item.message}
            </p>
            <div className="muted small">
              <Time iso={item.createdAt} /> ·{" "}
              <Link
                to={`/contracts/${encodeURIComponent(item.contractId)}`}
                onClick={() => {
                  if (unread) onMarkRead(item.id);
                }}
              >
                Open the contract
              </Link>
              {unread && (
                <>
                  {" "}
                  ·{" "}
                  <button
                    type="button"
                    className="btn-link"
                    disabled={busyId === item.id}
                    onClick={() => onMarkRead(item.id)}
                  >
                    Mark read
                  </button>
                </>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
