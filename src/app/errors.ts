/**
 * Raised by a store when the database refused a write because a concurrent command already made
 * it (a unique constraint such as one journal entry per cause). The constraint is the last line
 * of defence behind the row locks: the client hears 409, never 500, and nothing was written.
 */
export class ConcurrentChangeError extends Error {
  constructor(detail: string) {
    super(`a concurrent request already made this change (${detail})`);
  }
}
