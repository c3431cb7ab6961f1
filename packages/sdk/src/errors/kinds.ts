import type { ErrorCode } from './codes.ts';
import { MtlsLinkError, type MtlsLinkErrorOptions } from './mtls-link-error.ts';

type CodesOf<P extends string> = Extract<ErrorCode, `${P}${string}`>;

// Each class spells its `name` out: bundlers minify class names (Lambda bundles would log `e`).

/** A bad option passed to a factory, constructor or request; the message names the option. */
export class ConfigError extends MtlsLinkError<'CONFIG_INVALID'> {
  override readonly name: string = 'ConfigError';
}
/** The client was closed before (or while) the request ran. */
export class ClientClosedError extends MtlsLinkError<'CLIENT_CLOSED'> {
  override readonly name: string = 'ClientClosedError';
}
/** Secrets Manager (or the Lambda extension) could not deliver the secret. */
export class SecretError extends MtlsLinkError<CodesOf<'SECRET_'>> {
  override readonly name: string = 'SecretError';
}
/** The identity material is unreadable or would be refused by the ALB. */
export class IdentityError extends MtlsLinkError<CodesOf<'IDENTITY_' | 'CLIENT_CERT_'>> {
  override readonly name: string = 'IdentityError';
}
/** A network hop failed: DNS, TCP, or the server's side of TLS. */
export class ConnectionError extends MtlsLinkError<CodesOf<'DNS_' | 'TCP_' | 'TLS_'> | 'REQUEST_FAILED'> {
  override readonly name: string = 'ConnectionError';
}
/** The server refused the client certificate (TLS 1.2 handshake alert, or TLS 1.3 alert/reset/close). */
export class ClientCertificateRejectedError extends MtlsLinkError<'MTLS_REJECTED' | 'MTLS_NOT_ENFORCED'> {
  override readonly name: string = 'ClientCertificateRejectedError';
}
/**
 * A deadline fired (which one is in the code). `ABORTED` stays in the type for errors built by older
 * code; the client raises it as `AbortedError`.
 */
export class TimeoutError extends MtlsLinkError<CodesOf<'TIMEOUT_'> | 'ABORTED'> {
  override readonly name: string = 'TimeoutError';
}
/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export class AbortedError extends MtlsLinkError<'ABORTED'> {
  override readonly name: string = 'AbortedError';
}
/** The response body failed the Standard Schema validator given to `request()`. */
export class ResponseValidationError extends MtlsLinkError<'RESPONSE_VALIDATION_FAILED'> {
  override readonly name: string = 'ResponseValidationError';
}
/** The response body grew past `maxResponseSize`; the rest was not read. */
export class ResponseTooLargeError extends MtlsLinkError<'RESPONSE_TOO_LARGE'> {
  override readonly name: string = 'ResponseTooLargeError';
}

/** Response headers as undici delivers them (lower-case names). */
export type HttpHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface HttpErrorFacts<E = unknown> {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly body: string;
  /** `x-amzn-ErrorType`, when API Gateway sent one. */
  readonly errorType?: string;
  /** `x-amzn-RequestId` (or `x-amz-apigw-id`), for the producer's logs. */
  readonly requestId?: string;
  /** The response headers (not copied into `details`: they may hold cookies). */
  readonly headers?: HttpHeaders;
  /** The error body, parsed as the request's `parseAs` (JSON by content type by default). */
  readonly data?: E;
}

/**
 * The API answered with an error status; `code` tells resource policy, missing route, authorizer, ALB.
 * `E` types `data`: with `createClient<paths>`, `ErrorBodyOf<paths, path, method>` is the error
 * body the OpenAPI document declares.
 */
export class HttpError<E = unknown> extends MtlsLinkError<CodesOf<'HTTP_'>> {
  override readonly name: string = 'HttpError';
  readonly status: number;
  readonly body: string;
  readonly errorType: string | undefined;
  readonly requestId: string | undefined;
  readonly headers: HttpHeaders;
  readonly data: E | undefined;

  constructor(
    code: CodesOf<'HTTP_'>,
    message: string,
    facts: HttpErrorFacts<E>,
    options: MtlsLinkErrorOptions = {},
  ) {
    const { headers, data, ...loggable } = facts;
    super(code, message, { ...options, details: { ...loggable, ...options.details } });
    this.status = facts.status;
    this.body = facts.body;
    this.errorType = facts.errorType;
    this.requestId = facts.requestId;
    this.headers = headers ?? {};
    this.data = data;
  }
}
