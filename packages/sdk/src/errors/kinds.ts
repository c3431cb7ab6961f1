import type { ErrorCode } from './codes.ts';
import { MtlsLinkError, type MtlsLinkErrorOptions } from './mtls-link-error.ts';

type CodesOf<P extends string> = Extract<ErrorCode, `${P}${string}`>;

/** A bad option passed to a factory or constructor; the message names the option. */
export class ConfigError extends MtlsLinkError<'CONFIG_INVALID'> {}
/** Secrets Manager (or the Lambda extension) could not deliver the secret. */
export class SecretError extends MtlsLinkError<CodesOf<'SECRET_'>> {}
/** The identity material is unreadable or would be refused by the ALB. */
export class IdentityError extends MtlsLinkError<CodesOf<'IDENTITY_' | 'CLIENT_CERT_'>> {}
/** A network hop failed: DNS, TCP, or the server's side of TLS. */
export class ConnectionError extends MtlsLinkError<CodesOf<'DNS_' | 'TCP_' | 'TLS_'> | 'REQUEST_FAILED'> {}
/** The server refused the client certificate (TLS 1.2 handshake alert, or TLS 1.3 alert/reset/close). */
export class ClientCertificateRejectedError extends MtlsLinkError<'MTLS_REJECTED' | 'MTLS_NOT_ENFORCED'> {}
/** A deadline fired (which one is in the code), or the caller aborted. */
export class TimeoutError extends MtlsLinkError<CodesOf<'TIMEOUT_'> | 'ABORTED'> {}
/** The response body failed the Standard Schema validator given to `request()`. */
export class ResponseValidationError extends MtlsLinkError<'RESPONSE_VALIDATION_FAILED'> {}

export interface HttpErrorFacts {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly body: string;
  /** `x-amzn-ErrorType`, when API Gateway sent one. */
  readonly errorType?: string;
  /** `x-amzn-RequestId` (or `x-amz-apigw-id`), for the producer's logs. */
  readonly requestId?: string;
}

/** The API answered with an error status; `code` tells resource policy, missing route, authorizer, ALB. */
export class HttpError extends MtlsLinkError<CodesOf<'HTTP_'>> {
  readonly status: number;
  readonly body: string;
  readonly errorType: string | undefined;
  readonly requestId: string | undefined;

  constructor(
    code: CodesOf<'HTTP_'>,
    message: string,
    facts: HttpErrorFacts,
    options: MtlsLinkErrorOptions = {},
  ) {
    super(code, message, { ...options, details: { ...facts, ...options.details } });
    this.status = facts.status;
    this.body = facts.body;
    this.errorType = facts.errorType;
    this.requestId = facts.requestId;
  }
}
