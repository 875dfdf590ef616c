/** The two supported databases. Dialect-specific SQL is chosen by this value, in named places. */
export type Dialect = "sqlite" | "postgres";
