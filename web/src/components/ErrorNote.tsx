import { describeError } from "../api/client";

/** An error the user must read, announced to screen readers. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" className="error-note">
      {describeError(error)}
    </p>
  );
}
