import type { FailureCode } from "./failures.js";

/** A business failure: a broken rule, named by a stable code. Never thrown. */
export interface Failure {
  readonly ok: false;
  readonly code: FailureCode;
  readonly message: string;
  /** Path of the input field at fault, for validation failures (`milestones[0].amount`). */
  readonly field?: string;
}

export interface Success<T> {
  readonly ok: true;
  readonly value: T;
}

export type Result<T> = Success<T> | Failure;

export function ok<T>(value: T): Success<T> {
  return { ok: true, value };
}

export function fail(code: FailureCode, message: string, field?: string): Failure {
  return field === undefined ? { ok: false, code, message } : { ok: false, code, message, field };
}
