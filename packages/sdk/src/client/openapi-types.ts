/**
 * Types that read an openapi-typescript `paths` interface: which paths have a given method, what
 * parameters and body an operation takes, and what its 2xx JSON response holds. The shapes follow
 * openapi-typescript 7 output (`parameters: { query?; header?; path?; cookie? }`, `requestBody?`,
 * `responses: { 200: { content: { 'application/json': T } } }`).
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch';

type IsNever<T> = [T] extends [never] ? true : false;

/** Paths of `Paths` that declare `M`. */
export type PathsWithMethod<Paths, M extends HttpMethod> = {
  [P in keyof Paths]: Paths[P] extends { [K in M]: infer Op }
    ? IsNever<Op> extends true
      ? never
      : P
    : never;
}[keyof Paths] &
  string;

export type OperationOf<Paths, P extends keyof Paths, M extends HttpMethod> = Paths[P] extends {
  [K in M]: infer Op;
}
  ? Op
  : never;

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

type ParameterGroups<Op> = Op extends { parameters: infer Prm }
  ? {
      [K in keyof Prm as K extends 'path' | 'query' | 'header'
        ? IsNever<Exclude<Prm[K], undefined>> extends true
          ? never
          : K
        : never]: Prm[K];
    }
  : object;

/** `params` is required when any group (e.g. `path` for `/widgets/{id}`) is. */
export type ParamsOption<Op> =
  IsNever<keyof ParameterGroups<Op>> extends true
    ? { params?: never }
    : IsNever<RequiredKeys<ParameterGroups<Op>>> extends true
      ? { params?: ParameterGroups<Op> }
      : { params: ParameterGroups<Op> };

type JsonContent<C> = C extends { 'application/json': infer T }
  ? T
  : C extends Record<string, infer T>
    ? T
    : never;

type RequestBodyOf<Op> = Op extends { requestBody?: infer R } ? Exclude<R, undefined> : never;

/** `body` is required when the operation's requestBody is, absent when it has none. */
export type BodyOption<Op> =
  IsNever<RequestBodyOf<Op>> extends true
    ? { body?: never }
    : Op extends { requestBody: unknown }
      ? { body: JsonContent<RequestBodyOf<Op>['content' & keyof RequestBodyOf<Op>]> }
      : { body?: JsonContent<RequestBodyOf<Op>['content' & keyof RequestBodyOf<Op>]> };

type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226 | '2XX';

type ResponsesOf<Op> = Op extends { responses: infer R } ? R : never;

type ResponseData<R> = R extends { content: infer C }
  ? IsNever<Exclude<C, undefined>> extends true
    ? undefined
    : JsonContent<Exclude<C, undefined>>
  : undefined;

/** The body of the operation's 2xx responses (JSON), `undefined` for bodiless ones like 204. */
export type SuccessData<Op> = ResponseData<ResponsesOf<Op>[SuccessStatus & keyof ResponsesOf<Op>]>;

/** The bodies the operation declares for its non-2xx responses (`default`, 4XX, 404...). */
export type ErrorData<Op> = ResponseData<ResponsesOf<Op>[Exclude<keyof ResponsesOf<Op>, SuccessStatus>]>;

/** `HttpError<ErrorBodyOf<paths, '/widgets/{id}', 'get'>>`: `error.data` typed as the document declares. */
export type ErrorBodyOf<Paths, P extends keyof Paths, M extends HttpMethod> = ErrorData<
  OperationOf<Paths, P, M>
>;

/**
 * How the response body is read (openapi-fetch's names): `json` parses it whatever the content type,
 * `text` a string, `bytes` a Uint8Array, `stream` a ReadableStream for the caller to consume. By
 * default JSON when the content type says so, text otherwise.
 */
export type ParseAs = 'json' | 'text' | 'bytes' | 'stream';

/** What `data` is for a `parseAs`. */
export type ParsedAs<A extends ParseAs | undefined, Json> = A extends 'text'
  ? string
  : A extends 'bytes'
    ? Uint8Array
    : A extends 'stream'
      ? ReadableStream<Uint8Array>
      : Json;

export type HeadersInit = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Per-request deadlines in milliseconds; they override the client's. */
export interface RequestTimeouts {
  readonly headers?: number;
  readonly body?: number;
  readonly total?: number;
}

interface CommonOptions<S, A extends ParseAs | undefined = undefined> {
  readonly headers?: HeadersInit;
  readonly signal?: AbortSignal;
  readonly timeouts?: RequestTimeouts;
  /** A Standard Schema (zod, valibot, arktype...) the response body must satisfy; `data` is its output. */
  readonly schema?: S;
  readonly parseAs?: A;
}

export type OperationRequestOptions<Op, S, A extends ParseAs | undefined = undefined> = ParamsOption<Op> &
  BodyOption<Op> &
  CommonOptions<S, A>;

/** The options argument is optional exactly when nothing in it is required. */
export type OptionsArgument<Op, S, A extends ParseAs | undefined = undefined> =
  IsNever<RequiredKeys<OperationRequestOptions<Op, S, A>>> extends true
    ? [options?: OperationRequestOptions<Op, S, A>]
    : [options: OperationRequestOptions<Op, S, A>];

export interface ClientResponse<T> {
  readonly data: T;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type DataFor<Op, S, A extends ParseAs | undefined = undefined> = S extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<S>
  : ParsedAs<A, SuccessData<Op>>;

export type MethodHelper<Paths, M extends HttpMethod> = <
  P extends PathsWithMethod<Paths, M>,
  S extends StandardSchemaV1 | undefined = undefined,
  A extends ParseAs | undefined = undefined,
>(
  path: P,
  ...options: OptionsArgument<OperationOf<Paths, P, M>, S, A>
) => Promise<ClientResponse<DataFor<OperationOf<Paths, P, M>, S, A>>>;

/**
 * What `createClient` assumes without a `paths` type: any path, any method, loose params and
 * `unknown` data.
 */
export type UntypedPaths = Record<
  string,
  {
    [M in HttpMethod]: {
      parameters: {
        query?: Readonly<Record<string, QueryValue>>;
        header?: Readonly<Record<string, string>>;
        path?: Readonly<Record<string, string | number>>;
      };
      requestBody?: { content: { 'application/json': unknown } };
      responses: { 200: { content: { 'application/json': unknown } } };
    };
  }
>;

export type QueryScalar = string | number | boolean;
export type QueryValue = QueryScalar | readonly QueryScalar[] | undefined | null;
