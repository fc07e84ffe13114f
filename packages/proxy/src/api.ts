import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { apiErrorBody, errors } from './api-error.js';
import type { ProxyCollection } from './collection.js';
import { toxicJson } from './toxic-set.js';
import { VERSION } from './version.js';

/** Toxiproxy answers errors as JSON + newline with the error's status. */
function fail(c: Context, e: unknown): Response {
  const body = apiErrorBody(e);
  return c.body(`${JSON.stringify(body)}\n`, body.status as 400, { 'content-type': 'application/json' });
}

/** The request's JSON body, or Toxiproxy's `bad request body` (400). */
async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badBody(e instanceof Error ? e.message : String(e));
  }
}

/**
 * The control API, route for route Toxiproxy's (its api.go): the same paths, JSON, status codes and
 * error messages, so Toxiproxy's clients drive it. Browsers are refused (403), as Toxiproxy does, so a
 * web page cannot reach the loopback API behind a user's back.
 */
export function controlApi(proxies: ProxyCollection): Hono {
  const app = new Hono();

  app.use(async (c, next) => {
    c.header('X-Toxiproxy-Request-Id', randomUUID());
    if ((c.req.header('user-agent') ?? '').startsWith('Mozilla/')) {
      return c.text('User agent not allowed\n', 403);
    }
    await next();
  });
  app.onError((e, c) => fail(c, e));

  app.post('/reset', async (c) => {
    await proxies.reset();
    return c.body(null, 204);
  });
  app.get('/proxies', (c) => c.json(proxies.toJSON()));
  app.post('/proxies', async (c) => {
    const p = await proxies.create(await jsonBody(c));
    return c.json(p.toJSON(), 201);
  });
  app.post('/populate', async (c) => {
    const { proxies: done, error } = await proxies.populate(await jsonBody(c));
    const list = done.length > 0 ? done.map((p) => p.toJSON()) : null; // Go marshals an empty slice as null
    if (error === undefined) return c.json({ proxies: list }, 201);
    const e = apiErrorBody(error);
    return c.json({ ...e, proxies: list }, e.status as 400);
  });
  app.get('/proxies/:proxy', (c) => c.json(proxies.get(c.req.param('proxy')).toJSON()));
  const update = async (c: Context) =>
    c.json((await proxies.update(c.req.param('proxy')!, await jsonBody(c))).toJSON());
  app.post('/proxies/:proxy', update);
  app.patch('/proxies/:proxy', update);
  app.delete('/proxies/:proxy', async (c) => {
    await proxies.remove(c.req.param('proxy'));
    return c.body(null, 204);
  });
  app.get('/proxies/:proxy/toxics', (c) =>
    c.json(proxies.get(c.req.param('proxy')).toxics.list().map(toxicJson)),
  );
  app.post('/proxies/:proxy/toxics', async (c) => {
    const p = proxies.get(c.req.param('proxy'));
    return c.json(toxicJson(p.toxics.add(await jsonBody(c))));
  });
  app.get('/proxies/:proxy/toxics/:toxic', (c) => {
    const t = proxies.get(c.req.param('proxy')).toxics.get(c.req.param('toxic'));
    if (!t) throw errors.toxicNotFound();
    return c.json(toxicJson(t));
  });
  const updateToxic = async (c: Context) => {
    const p = proxies.get(c.req.param('proxy')!);
    return c.json(toxicJson(p.toxics.update(c.req.param('toxic')!, await jsonBody(c))));
  };
  app.post('/proxies/:proxy/toxics/:toxic', updateToxic);
  app.patch('/proxies/:proxy/toxics/:toxic', updateToxic);
  app.delete('/proxies/:proxy/toxics/:toxic', (c) => {
    proxies.get(c.req.param('proxy')).toxics.remove(c.req.param('toxic'));
    return c.body(null, 204);
  });
  app.get('/version', (c) =>
    c.body(`{"version": "${VERSION}"}\n`, 200, { 'content-type': 'application/json;charset=utf-8' }),
  );
  return app;
}
