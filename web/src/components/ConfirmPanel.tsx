import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { ApiError, newIdempotencyKey } from "../api/client";
import { ErrorNote } from "./ErrorNote";

/**
 * The confirmation step of every money action: it states exactly what moves, takes focus, and
 * sends with one idempotency key however many times the user retries.
 */
export function ConfirmPanel({
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  pending,
  error,
  tone = "primary",
  confirmDisabled,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: (idempotencyKey: string) => void;
  onCancel: () => void;
  pending?: boolean;
  error?: unknown;
  tone?: "primary" | "danger";
  confirmDisabled?: boolean;
}) {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const [key, setKey] = useState(newIdempotencyKey);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  useEffect(() => {
    // The server stores a refusal (402, 409) under its key: a new attempt needs a new key. A
    // network failure or 5xx keeps the key, so a retry cannot move money twice.
    if (error instanceof ApiError && error.status > 0 && error.status < 500) {
      setKey(newIdempotencyKey());
    }
  }, [error]);
  return (
    <section
      className="confirm"
      role="alertdialog"
      aria-labelledby={headingId}
      onKeyDown={(event) => {
        if (event.key === "Escape" && !pending) onCancel();
      }}
    >
      <h4 id={headingId} ref={heading} tabIndex={-1}>
        {title}
      </h4>
      <div className="confirm-body">{children}</div>
      <ErrorNote error={error} />
      <div className="actions">
        <button
          type="button"
          className={tone === "danger" ? "btn-danger" : "btn-primary"}
          disabled={pending || confirmDisabled}
          onClick={() => onConfirm(key)}
        >
          {pending ? "Working…" : confirmLabel}
        </button>
        <button type="button" className="btn-secondary" disabled={pending} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
