const brand = Symbol.for('mtls-link.testkit.error');

/**
 * The one error the testkit throws on purpose. `code` is stable; messages name the option, file or
 * binary involved and never contain key material or passphrases.
 */
export class TestkitError extends Error {
  readonly code: string;
  readonly [brand] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TestkitError';
    this.code = code;
  }
}

/** Checks a brand rather than `instanceof`, so two installed copies of the testkit still agree. */
export function isTestkitError(error: unknown): error is TestkitError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[brand] === true;
}
