/**
 * A Lambda function (API Gateway proxy integration) that answers from the producer's widgets API
 * over mutual TLS. The client is built once per execution environment, outside the handler, so
 * warm invocations reuse its keep-alive mTLS connection and its cached identity: one Secrets
 * Manager read and one TLS handshake per environment instead of one per invocation.
 *
 *   GET  /widgets        -> the producer's list
 *   GET  /widgets/{id}   -> one widget (404 when the producer has none)
 *   POST /widgets        <- { "value": "4.99" } -> 201
 */

import {
  type Client,
  createClient,
  fromLambdaExtension,
  fromSecretsManager,
  type IdentityProvider,
} from '@mtls-link/sdk';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { errorResult, okResult } from './error-result.ts';
import type { HandlerConfig } from './handler-config.ts';
import type { paths } from './widgets-api.generated.ts';

export type WidgetsHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export interface WidgetsFunction {
  readonly handler: WidgetsHandler;
  readonly api: Client<paths>;
  readonly identity: IdentityProvider;
  /** For tests and local runs; in Lambda the environment is simply frozen and later discarded. */
  close(): Promise<void>;
}

export interface WidgetsFunctionOptions {
  /** @default one JSON line on stdout (CloudWatch Logs) */
  readonly log?: (entry: Record<string, unknown>) => void;
}

/** Leave this much of the function's time to answer with a typed timeout instead of being killed. */
const TIME_TO_ANSWER_MS = 500;

export function createWidgetsFunction(
  config: HandlerConfig,
  options: WidgetsFunctionOptions = {},
): WidgetsFunction {
  const log = options.log ?? ((entry: Record<string, unknown>) => console.log(JSON.stringify(entry)));
  const identity =
    config.identitySource === 'lambda-extension'
      ? // The extension caches the secret for the whole environment and needs no SDK in the bundle.
        fromLambdaExtension({ secretId: config.secretId })
      : fromSecretsManager({ secretId: config.secretId });
  const api = createClient<paths>({
    baseUrl: config.apiUrl,
    identity,
    ...(config.apiCa === undefined ? {} : { ca: config.apiCa }),
    // One invocation at a time per environment: a few connections cover a handler that fans out.
    connections: 4,
    timeouts: { connect: 3_000, headers: 5_000 },
    // A keep-alive connection may have been closed by the ALB while the environment was frozen;
    // an idempotent call that meets it is retried on a fresh connection.
    retry: { attempts: 2, maxElapsedMs: 2_000 },
  });
  api.on('identity-refresh', (event) => {
    if (event.changed) {
      log({
        event: 'identity-refresh',
        reason: event.reason,
        serial: event.current.serialHex,
        version: event.current.version,
      });
    }
  });
  api.on('identity-refresh-failed', (event) => {
    log({ event: 'identity-refresh-failed', code: event.error.code, message: event.error.message });
  });
  api.on('retry', (event) => {
    log({ event: 'upstream-retry', url: event.url, retry: event.retry, code: event.error.code });
  });

  // Start loading the identity during init, which runs before the first invocation is billed and
  // with a full CPU; the first request then shares this load. Failures surface on that request.
  identity.current().catch(() => {});

  const handler: WidgetsHandler = async (event, context) => {
    const remaining = context.getRemainingTimeInMillis();
    const timeouts = { total: Math.max(1_000, remaining - TIME_TO_ANSWER_MS) };
    const id = event.pathParameters?.['id'];
    try {
      if (event.httpMethod === 'GET' && id !== undefined) {
        const { data } = await api.GET('/widgets/{id}', { params: { path: { id } }, timeouts });
        return okResult(200, data);
      }
      if (event.httpMethod === 'GET') {
        const { data } = await api.GET('/widgets', { timeouts });
        return okResult(200, { widgets: data, count: data.length });
      }
      if (event.httpMethod === 'POST') {
        const input = parseNewWidget(event.body);
        if (input === undefined)
          return okResult(400, { error: 'invalid_body', expected: '{ "value": "4.99" }' });
        const { status, data } = await api.POST('/widgets', {
          body: input,
          // API Gateway's request id is stable for this call, so the SDK may retry the POST safely.
          params: { header: { 'Idempotency-Key': event.requestContext.requestId } },
          timeouts,
        });
        return okResult(status, data);
      }
      return okResult(405, { error: 'method_not_allowed' });
    } catch (error) {
      const result = errorResult(error);
      log({
        level: 'ERROR',
        event: 'upstream-error',
        awsRequestId: context.awsRequestId,
        statusCode: result.statusCode,
        // SDK messages name the secret, host or field, never key material.
        code: (error as { code?: unknown }).code,
        message: error instanceof Error ? error.message : String(error),
      });
      return result;
    }
  };

  return {
    handler,
    api,
    identity,
    close: async () => {
      await api.close();
      identity.close();
    },
  };
}

function parseNewWidget(body: string | null): { value: string } | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as unknown;
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { value?: unknown }).value === 'string'
    ) {
      return { value: (parsed as { value: string }).value };
    }
  } catch {
    // Not JSON: answered as a bad request below.
  }
  return undefined;
}
