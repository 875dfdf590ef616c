/**
 * Serves the built web app (dist/web) from the API server: hashed assets with long caching,
 * index.html for every other GET outside /v1 (the app's own routes), and a strict
 * Content-Security-Policy. The app talks to the server only through the public /v1 API.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";

function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** Where `npm run build:web` writes the app. */
export const webAppDir = path.join(projectRoot(), "dist", "web");

/** True once the app has been built. */
export function webAppBuilt(dir: string = webAppDir): boolean {
  return existsSync(path.join(dir, "index.html"));
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join("; ");

function securityHeaders(reply: FastifyReply): void {
  void reply
    .header("content-security-policy", CONTENT_SECURITY_POLICY)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "same-origin")
    .header("x-frame-options", "DENY")
    .header("cross-origin-opener-policy", "same-origin");
}

function isApiPath(url: string): boolean {
  const pathname = url.split("?")[0] ?? "";
  return pathname === "/v1" || pathname.startsWith("/v1/");
}

export function createWebApp(dir: string = webAppDir) {
  return async function webApp(app: FastifyInstance): Promise<void> {
    await app.register(async (scope) => {
      scope.addHook("onSend", (_request, reply, payload, done) => {
        securityHeaders(reply);
        done(null, payload);
      });
      await scope.register(fastifyStatic, {
        root: dir,
        // Files are routed one by one; the catch-all below serves index.html for app routes.
        wildcard: false,
        index: false,
        decorateReply: true,
        setHeaders: (reply, filePath) => {
          const hashed = filePath.includes(`${path.sep}assets${path.sep}`);
          void reply.header(
            "cache-control",
            hashed ? "public, max-age=31536000, immutable" : "no-cache",
          );
        },
      });
      const serveIndex = async (url: string, reply: FastifyReply) => {
        if (isApiPath(url) || url.startsWith("/assets/")) return reply.callNotFound();
        return reply.header("cache-control", "no-cache").sendFile("index.html");
      };
      scope.get("/", { schema: { hide: true } }, (request, reply) =>
        serveIndex(request.url, reply),
      );
      scope.get("/*", { schema: { hide: true } }, (request, reply) =>
        serveIndex(request.url, reply),
      );
    });
  };
}

/** The plugin `main.ts` mounts when dist/web/index.html exists. */
export const webApp = createWebApp();
