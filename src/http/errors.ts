/**
 * The one error shape, `{error: {code, message, field?}}`, and the one map from failure codes to
 * HTTP status codes.
 */
import type { FailureCode } from "../domain/failures.js";
import type { Failure } from "../domain/result.js";
import type { StoredResponse } from "../app/ports.js";

export const STATUS_OF: Record<FailureCode, number> = {
  validation_failed: 400,
  unauthenticated: 401,
  payment_failed: 402,
  payment_method_required: 402,
  forbidden: 403,
  not_found: 404,
  invalid_state: 409,
  idempotency_key_reused: 409,
  email_taken: 409,
  rate_limited: 429,
};

export function errorBody(code: string, message: string, field?: string) {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

export function failureResponse(failure: Failure): StoredResponse {
  return {
    status: STATUS_OF[failure.code],
    body: errorBody(failure.code, failure.message, failure.field),
  };
}

/** Thrown inside handlers to answer with a failure; the error handler turns it into a reply. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  static of(failure: Failure): HttpFailure {
    return new HttpFailure(STATUS_OF[failure.code], failure.code, failure.message, failure.field);
  }
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * `/milestones/0/amount` becomes `milestones[0].amount`. `extra` is a property name (an unknown
 * or missing key), never an array index, even when it is made of digits.
 */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").filter(Boolean);
  const path = parts.reduce(
    (at, part) => (/^\d+$/.test(part) ? `${at}[${part}]` : at ? `${at}.${part}` : part),
    "",
  );
  if (extra === undefined) return path;
  return path ? `${path}.${extra}` : extra;
}

/** The first schema error as our failure, naming the field at fault. */
export function validationFailure(errors: AjvError[], context: string): HttpFailure {
  const error = errors[0];
  if (!error) return new HttpFailure(400, "validation_failed", "the request is not valid");
  const { keyword, params, instancePath } = error;
  if (keyword === "additionalProperties") {
    const key = String(params.additionalProperty);
    return new HttpFailure(
      400,
      "validation_failed",
      `unknown field "${key}"`,
      fieldPath(instancePath, key),
    );
  }
  if (keyword === "required") {
    const key = String(params.missingProperty);
    return new HttpFailure(
      400,
      "validation_failed",
      `${key} is required`,
      fieldPath(instancePath, key),
    );
  }
  const field = fieldPath(instancePath) || context;
  return new HttpFailure(
    400,
    "validation_failed",
    `${field} ${error.message ?? "is not valid"}`,
    field,
  );
}
