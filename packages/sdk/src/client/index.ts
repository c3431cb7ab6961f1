export type { ClientEvents, RetryEvent } from './client-events.ts';
export type {
  ClientHooks,
  ClientOptions,
  ClientTimeouts,
  RequestInfo,
  ResponseInfo,
} from './client-options.ts';
export {
  type Client,
  type ClientStats,
  type CloseOptions,
  createClient,
  type UntypedRequest,
} from './create-client.ts';
export type { Middleware, MiddlewareRequest, MiddlewareResponse } from './middleware.ts';
export type {
  ClientResponse,
  ErrorBodyOf,
  HttpMethod,
  MethodHelper,
  OperationOf,
  ParseAs,
  ParsedAs,
  PathsWithMethod,
  QueryValue,
  RequestTimeouts,
  SuccessData,
  UntypedPaths,
} from './openapi-types.ts';
export type { RetryOptions } from './retry-policy.ts';
export {
  POOL_SWAP_CHANNEL,
  REQUEST_TRACING_CHANNEL,
  RETRY_CHANNEL,
  type RequestTraceContext,
} from './tracing.ts';
