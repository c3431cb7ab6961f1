export type { ClientEvents, RetryEvent } from './client-events.ts';
export type {
  ClientHooks,
  ClientOptions,
  ClientTimeouts,
  RequestInfo,
  ResponseInfo,
} from './client-options.ts';
export { type Client, type ClientStats, createClient, type UntypedRequest } from './create-client.ts';
export type {
  ClientResponse,
  HttpMethod,
  MethodHelper,
  OperationOf,
  PathsWithMethod,
  QueryValue,
  RequestTimeouts,
  SuccessData,
  UntypedPaths,
} from './openapi-types.ts';
export type { RetryOptions } from './retry-policy.ts';
