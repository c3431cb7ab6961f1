export { ERROR_CODES, type ErrorCode, type Hop, isErrorCode } from './codes.ts';
export {
  AbortedError,
  ClientCertificateRejectedError,
  ClientClosedError,
  ConfigError,
  ConnectionError,
  HttpError,
  type HttpErrorFacts,
  type HttpHeaders,
  IdentityError,
  ResponseTooLargeError,
  ResponseValidationError,
  SecretError,
  TimeoutError,
} from './kinds.ts';
export { isMtlsLinkError, MtlsLinkError, type MtlsLinkErrorOptions } from './mtls-link-error.ts';
