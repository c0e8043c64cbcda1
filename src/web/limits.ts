// Every request body is bounded before anything reads it, by the route it is sent to: sign-in needs
// a few hundred bytes, the JSON API a few KiB. A larger body is answered 413 at once (from its
// Content-Length, or as soon as a chunked body exceeds the limit), and the connection is closed so
// that the rest is never parsed. JSON bodies are then bounded in depth and must be objects.

import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { parseBoundedJson } from "../util/bounded-json.ts";

/** Sign-in: user, password, next: a few hundred bytes, with room to spare. */
export const LOGIN_BODY_BYTES = 4 * 1024;
/** The dashboard's JSON API: the largest request is a schedule or a replay target. */
export const API_BODY_BYTES = 16 * 1024;
/** Form fields accepted at sign-in (user, password, next). */
export const LOGIN_MAX_FIELDS = 8;
const API_MAX_DEPTH = 8;

/** How long and how much a connection answered early is still read (and discarded) before it is cut. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 64 * 1024 * 1024;

/**
 * RFC 9112 §9.6: a server that answers before the request is over half-closes and keeps reading
 * for a while. Closing at once with unread bytes sends a reset, and a reset makes the client's
 * system discard our 413 before the client reads it (seen as EPIPE by a client still sending).
 * Node's HTTP server ends a `Connection: close` exchange with `socket.destroySoon()`; this socket's
 * is replaced by a bounded linger. Should Node stop calling it, the close is merely abrupt again.
 */
function lingerOnClose(socket: Socket | undefined): void {
  if (!socket) return;
  socket.destroySoon = () => {
    socket.end();
    let read = 0;
    const cut = () => socket.destroy();
    const timer = setTimeout(cut, LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
    socket.once("end", cut);
    socket.on("data", (chunk: Buffer) => {
      read += chunk.length;
      if (read > LINGER_BYTES) cut();
    });
    socket.resume();
  };
}

/**
 * Answers before the request's body was read, closing the connection once the client stopped
 * sending (a linger, not a reset: see lingerOnClose), so the rest of the body is never parsed.
 */
export function closeAfterAnswer(c: Context): void {
  c.header("connection", "close");
  lingerOnClose((c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket);
}

function tooLarge(c: Context, limit: number): Response {
  closeAfterAnswer(c);
  const message = `request body larger than ${limit} bytes`;
  return c.req.path.startsWith("/api/")
    ? c.json({ error: message }, 413)
    : c.text(`413 Payload Too Large: ${message}`, 413);
}

/** One limit for every route: the sign-in form's, the API's, and the API's for anything else. */
export function bodyLimits(): MiddlewareHandler {
  const login = bodyLimit({
    maxSize: LOGIN_BODY_BYTES,
    onError: (c) => tooLarge(c, LOGIN_BODY_BYTES),
  });
  const other = bodyLimit({ maxSize: API_BODY_BYTES, onError: (c) => tooLarge(c, API_BODY_BYTES) });
  return (c, next) => (c.req.path === "/login" ? login(c, next) : other(c, next));
}

export class BadRequest extends Error {}

/** The request's JSON body as an object; anything else is a BadRequest naming what was wrong. */
export async function jsonObject(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = parseBoundedJson(text, API_MAX_DEPTH);
  } catch (error) {
    throw new BadRequest(`the request body is ${(error as Error).message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequest("the request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** The sign-in form, refused when it holds more fields than a sign-in has. */
export async function loginForm(c: Context): Promise<Record<string, string> | null> {
  const params = new URLSearchParams(await c.req.text());
  const form: Record<string, string> = {};
  let fields = 0;
  for (const [name, value] of params) {
    if (++fields > LOGIN_MAX_FIELDS) return null;
    if (!(name in form)) form[name] = value;
  }
  return form;
}
