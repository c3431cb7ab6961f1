import { ERROR_CODES, type ErrorCode, type Hop } from './codes.ts';

// A registry-wide symbol, so that two installed copies of the SDK still recognise each other's errors
// (instanceof would not).
const brand = Symbol.for('mtls-link.error');

export interface MtlsLinkErrorOptions {
  readonly cause?: unknown;
  /** Overrides the code's default hint. */
  readonly hint?: string;
  /** Facts for logs and the probe (host, port, field, status...). Never key material. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one base error of mtls-link: a stable `code`, the `hop` that broke, a hint, and the `cause`. */
export class MtlsLinkError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly hop: Hop;
  readonly hint: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: C, message: string, options: MtlsLinkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Subclasses set their own name (a field initialiser runs after this): minifiers rename classes.
    this.name = 'MtlsLinkError';
    this.code = code;
    this.hop = ERROR_CODES[code].hop;
    this.hint = options.hint ?? ERROR_CODES[code].hint;
    this.details = options.details ?? {};
    Object.defineProperty(this, brand, { value: true });
  }
}

export function isMtlsLinkError(error: unknown): error is MtlsLinkError {
  return typeof error === 'object' && error !== null && (error as { [brand]?: unknown })[brand] === true;
}
