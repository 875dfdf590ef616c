/**
 * JSON bodies are parsed here rather than by Fastify's default parser, so malformed JSON does not
 * answer before the access checks: a stranger sending a bad body gets 404, as API.md orders it.
 */
import type { FastifyInstance } from "fastify";
import secureJson from "secure-json-parse";

export const INVALID_JSON = Object.freeze({ "(invalid json)": true });

export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, text, done) => {
    const body = typeof text === "string" ? text : text.toString("utf8");
    if (body.trim() === "") return done(null, null);
    try {
      // Refuses __proto__ and constructor.prototype keys (prototype poisoning).
      done(
        null,
        secureJson.parse(body, undefined, { protoAction: "error", constructorAction: "error" }),
      );
    } catch {
      done(null, INVALID_JSON);
    }
  });
}
