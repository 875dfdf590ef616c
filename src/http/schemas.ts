/**
 * Request schemas (TypeBox). The routes validate with them and the OpenAPI document is
 * generated from them, so the two cannot disagree. Objects refuse unknown fields; strings are
 * length-capped; amounts are safe integers within R3's bounds.
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { CURRENCY_CODES } from "../domain/currencies.js";
import { MAX_AMOUNT_MINOR } from "../domain/money.js";
import { EVENT_TYPES } from "../domain/events.js";
import { TRANSACTION_TYPES } from "../domain/ledger.js";
import { LIMITS } from "../domain/validation.js";

const strict = { additionalProperties: false } as const;

export const Amount = Type.Integer({
  minimum: 1,
  maximum: MAX_AMOUNT_MINOR,
  description: "minor units (R3)",
});
export const Currency = Type.Unsafe<string>({
  type: "string",
  enum: [...CURRENCY_CODES],
  description: "upper-case ISO 4217 code",
});
export const DueDate = Type.String({
  pattern: "^\\d{4}-\\d{2}-\\d{2}$",
  description: "calendar date YYYY-MM-DD",
});
const Title = Type.String({ minLength: 1, maxLength: LIMITS.title });
const Description = Type.String({ maxLength: LIMITS.description });
const Message = Type.String({ minLength: 1, maxLength: LIMITS.message });
const Reason = Type.String({ maxLength: LIMITS.reason });
const Email = Type.String({ minLength: 3, maxLength: 254, pattern: "^[^@\\s]+@[^@\\s]+$" });

export const SignupBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 8, maxLength: 128 }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
  },
  strict,
);
export const LoginBody = Type.Object(
  { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 128 }) },
  strict,
);
export const PasswordResetBody = Type.Object({ email: Type.String({ maxLength: 254 }) }, strict);
export const PasswordResetConfirmBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 8, maxLength: 128 }),
  },
  strict,
);
export const PaymentMethodBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }) },
  strict,
);

const OfferMilestone = Type.Object(
  {
    title: Title,
    description: Type.Optional(Description),
    amount: Amount,
    dueDate: Type.Optional(Type.Union([DueDate, Type.Null()])),
  },
  strict,
);
export const OfferBody = Type.Object(
  {
    freelancerEmail: Email,
    title: Title,
    description: Type.Optional(Description),
    currency: Currency,
    milestones: Type.Array(OfferMilestone, { minItems: 1, maxItems: LIMITS.milestones }),
  },
  strict,
);
/** A body whose fields are all optional may also be left out (sent as no body at all). */
const orNoBody = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const EndBody = orNoBody(Type.Object({ reason: Type.Optional(Reason) }, strict));
export const NewMilestoneBody = OfferMilestone;
export const EditMilestoneBody = Type.Object(
  { amount: Type.Optional(Amount), description: Type.Optional(Description) },
  strict,
);
export const SubmitBody = Type.Object(
  {
    message: Message,
    links: Type.Optional(
      Type.Array(Type.String({ maxLength: LIMITS.link, pattern: "^https?://\\S+$" }), {
        maxItems: LIMITS.links,
      }),
    ),
  },
  strict,
);
export const MessageBody = Type.Object({ message: Message }, strict);
export const ApproveBody = orNoBody(Type.Object({ amount: Type.Optional(Amount) }, strict));
export const DueDateBody = Type.Object({ dueDate: DueDate }, strict);
export const RefundRequestBody = orNoBody(Type.Object({ reason: Type.Optional(Reason) }, strict));
export const DisputeBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: LIMITS.reason }) },
  strict,
);
export const ResolveBody = Type.Object(
  {
    refundAmount: Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_MINOR * 100 }),
    releaseAmount: Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_MINOR * 100 }),
    reason: Type.String({ minLength: 1, maxLength: LIMITS.reason }),
  },
  strict,
);
export const AdvanceBody = Type.Object(
  { seconds: Type.Integer({ minimum: 0, maximum: 10 * 365 * 86400 }) },
  strict,
);
export const EmptyBody = orNoBody(Type.Object({}, strict));

const Limit = Type.String({ pattern: "^[0-9]{1,3}$", description: "1-100, default 20" });
const Cursor = Type.String({
  maxLength: 100,
  description: "id of the last item of the previous page",
});
export const PageQuery = Type.Object(
  { limit: Type.Optional(Limit), startingAfter: Type.Optional(Cursor) },
  strict,
);

export const ContractListQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    startingAfter: Type.Optional(Cursor),
    role: Type.Optional(Type.Union([Type.Literal("client"), Type.Literal("freelancer")])),
    status: Type.Optional(
      Type.Union(
        ["offered", "active", "ended", "declined", "withdrawn"].map((s) => Type.Literal(s)),
      ),
    ),
  },
  strict,
);
export const DisputeListQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    startingAfter: Type.Optional(Cursor),
    status: Type.Optional(Type.Union([Type.Literal("open"), Type.Literal("resolved")])),
  },
  strict,
);
const DateOrTime = Type.String({
  maxLength: 40,
  pattern: "^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2}))?$",
  description: "YYYY-MM-DD (a whole UTC day) or an ISO 8601 time",
});
export const TransactionQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    startingAfter: Type.Optional(Cursor),
    contractId: Type.Optional(Type.String({ maxLength: 100 })),
    type: Type.Optional(Type.Union(TRANSACTION_TYPES.map((t) => Type.Literal(t)))),
    from: Type.Optional(DateOrTime),
    to: Type.Optional(DateOrTime),
  },
  strict,
);
/** The report's filters without paging: totals cover every matching row. */
export const TotalsQuery = Type.Object(
  {
    contractId: Type.Optional(Type.String({ maxLength: 100 })),
    type: Type.Optional(Type.Union(TRANSACTION_TYPES.map((t) => Type.Literal(t)))),
    from: Type.Optional(DateOrTime),
    to: Type.Optional(DateOrTime),
  },
  strict,
);
export const NotificationQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    startingAfter: Type.Optional(Cursor),
    unread: Type.Optional(Type.Union([Type.Literal("true"), Type.Literal("false")])),
  },
  strict,
);
export const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

export const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String()),
  }),
});

export const EventTypeSchema = Type.Union(EVENT_TYPES.map((t) => Type.Literal(t)));

export type Schema = TSchema;
