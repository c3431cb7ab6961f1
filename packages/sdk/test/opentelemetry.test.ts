import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { createTestPki, type TestPki } from '@mtls-link/testkit';
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  createClient,
  REQUEST_TRACING_CHANNEL,
  RETRY_CHANNEL,
  type RequestTraceContext,
  type RetryEvent,
} from '../src/index.ts';
import { identityOf, json, type LocalServer, startTlsServer } from './fixtures/small-servers.ts';

// What a service that already runs OpenTelemetry adds (the README's snippet): one span per logical
// request from the SDK's tracing channel, active while the SDK works, so undici's per-attempt spans
// (from @opentelemetry/instrumentation-undici) become its children.
const store = new AsyncLocalStorage<Context>();
const contextManager: ContextManager = {
  active: () => store.getStore() ?? ROOT_CONTEXT,
  with: (ctx, fn, thisArg, ...args) => store.run(ctx, () => fn.apply(thisArg, args)),
  bind: (ctx, target) =>
    (typeof target === 'function'
      ? (...args: unknown[]) => store.run(ctx, () => (target as (...a: unknown[]) => unknown)(...args))
      : target) as typeof target,
  enable() {
    return this;
  },
  disable() {
    return this;
  },
};

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('mtls-link');
let undici: UndiciInstrumentation;
const spans = new WeakMap<RequestTraceContext, Span>();
const channel = tracingChannel<unknown, RequestTraceContext>(REQUEST_TRACING_CHANNEL);
const handlers = {
  asyncEnd(ctx: RequestTraceContext) {
    const span = spans.get(ctx);
    if (span === undefined) return;
    span.setAttributes({
      'mtls_link.attempts': ctx.attempts,
      'mtls_link.retries': ctx.retries,
      ...(ctx.status === undefined ? {} : { 'http.response.status_code': ctx.status }),
      ...(ctx.code === undefined ? {} : { 'mtls_link.error.code': ctx.code, 'mtls_link.error.hop': ctx.hop }),
      ...(ctx.identity === undefined
        ? {}
        : {
            'mtls_link.identity.serial': ctx.identity.serialHex,
            'mtls_link.identity.days_left': ctx.identity.daysLeft,
          }),
    });
    if (ctx.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: String(ctx.code) });
    span.end();
  },
};
const onRetry = (message: unknown) => {
  const event = message as RetryEvent;
  trace
    .getActiveSpan()
    ?.addEvent('retry', { 'mtls_link.retry': event.retry, 'mtls_link.error.code': event.error.code });
};

let pki: TestPki;
let server: LocalServer;
let calls = 0;

beforeAll(async () => {
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  // Enabled on construction, as an OpenTelemetry setup does.
  undici = new UndiciInstrumentation();
  undici.setTracerProvider(provider);
  channel.start.bindStore(store, (ctx) => {
    const span = tracer.startSpan(`${ctx.method} mtls-link`, { attributes: { 'url.full': ctx.url } });
    spans.set(ctx, span);
    return trace.setSpan(store.getStore() ?? ROOT_CONTEXT, span);
  });
  channel.subscribe(handlers as never);
  subscribe(RETRY_CHANNEL, onRetry);
  pki = await createTestPki();
  server = await startTlsServer({
    server: pki.server,
    version: 'TLSv1.3',
    handler: (req, res) => {
      calls += 1;
      if (req.url === '/flaky' && calls % 2 === 1) json(res, 503, { message: 'busy' });
      else if (req.url === '/missing') json(res, 404, { message: 'no' });
      else json(res, 200, { ok: true });
    },
  });
}, 60_000);

afterAll(async () => {
  undici?.disable();
  channel.unsubscribe(handlers as never);
  channel.start.unbindStore(store);
  unsubscribe(RETRY_CHANNEL, onRetry);
  context.disable();
  trace.disable();
  await server?.close();
});

const children = (parent: ReadableSpan) =>
  exporter
    .getFinishedSpans()
    .filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);

test('one span per logical request with the SDK attributes; undici attempts are its children', async () => {
  const identity = identityOf(pki.clients.valid);
  const api = createClient({
    baseUrl: server.url,
    ca: pki.trustStorePem,
    identity,
    retry: { attempts: 2, baseDelayMs: 1 },
  });
  calls = 0;
  await api.GET('/flaky');
  await api.GET('/missing').catch(() => {});
  await api.close();

  const logical = exporter.getFinishedSpans().filter((span) => span.name === 'GET mtls-link');
  expect(logical).toHaveLength(2);
  const [flaky, missing] = logical as [ReadableSpan, ReadableSpan];
  expect(flaky.attributes).toMatchObject({
    'mtls_link.attempts': 2,
    'mtls_link.retries': 1,
    'http.response.status_code': 200,
    'mtls_link.identity.serial': identity.serialHex,
  });
  expect(typeof flaky.attributes['mtls_link.identity.days_left']).toBe('number');
  expect(flaky.events.map((event) => event.name)).toEqual(['retry']);
  // Each attempt is an undici span under the logical one: 503, then 200.
  const attempts = children(flaky);
  expect(attempts.map((span) => span.attributes['http.response.status_code'])).toEqual([503, 200]);
  expect(missing.attributes).toMatchObject({
    'mtls_link.error.code': 'HTTP_UNEXPECTED_STATUS',
    'mtls_link.error.hop': 'http',
    'http.response.status_code': 404,
  });
  expect(missing.status.code).toBe(SpanStatusCode.ERROR);
  expect(children(missing)).toHaveLength(1);
  // Never key material in a span.
  expect(JSON.stringify(exporter.getFinishedSpans().map((span) => span.attributes))).not.toContain(
    'PRIVATE KEY',
  );
});
