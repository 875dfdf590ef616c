import { useState } from "react";
import { useApiMutation, useNotifications } from "../../api/queries";
import { ErrorNote } from "../../components/ErrorNote";
import { NotificationList } from "./NotificationList";

/** What happened on your contracts (the same notices as the emails), newest first. */
export function NotificationsPage() {
  const [filter, setFilter] = useState<"all" | "unread">("all");
  const list = useNotifications(filter);
  const markRead = useApiMutation((id: string) => ({
    path: `/v1/notifications/${encodeURIComponent(id)}/read`,
  }));
  const items = list.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Notifications</h1>
        <div role="group" aria-label="Show" className="segmented">
          {(["all", "unread"] as const).map((value) => (
            <button
              key={value}
              type="button"
              aria-pressed={filter === value}
              className={filter === value ? "btn-primary" : "btn-secondary"}
              onClick={() => setFilter(value)}
            >
              {value === "all" ? "All" : "Unread"}
            </button>
          ))}
        </div>
      </div>
      <ErrorNote error={list.error ?? markRead.error} />
      <section className="card" aria-label="Notifications">
        {list.isPending ? (
          <p>Loading…</p>
        ) : items.length === 0 ? (
          <p className="muted">
            {filter === "unread" ? "You have read everything." : "Nothing has happened yet."}
          </p>
        ) : (
          <NotificationList
            items={items}
            onMarkRead={(id) => markRead.mutate(id)}
            busyId={markRead.isPending ? markRead.variables : null}
          />
        )}
        {list.hasNextPage && (
          <button
            type="button"
            className="btn-secondary"
            disabled={list.isFetchingNextPage}
            onClick={() => void list.fetchNextPage()}
          >
            {list.isFetchingNextPage ? "Loading…" : "Show older"}
          </button>
        )}
      </section>
    </div>
  );
}
