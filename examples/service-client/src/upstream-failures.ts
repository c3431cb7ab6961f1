import { HttpError, isMtlsLinkError } from '@mtls-link/sdk';

/** What this service answers its own callers when a call to the widgets API fails. */
export interface FailureAnswer {
  readonly status: number;
  readonly body: {
    readonly error: string;
    /** The SDK's stable code, so an operator can grep logs and runbooks for it. */
    readonly code?: string;
    /** The producer's request id, the one thing their on-call needs from us. */
    readonly upstreamRequestId?: string;
  };
}

/**
 * Maps SDK failures onto this service's own answers. The split that matters: the caller's fault
 * (404), the producer's fault or our configuration (502), our identity (503: nothing the caller
 * can fix, and retrying later may help once the secret is fixed), and slowness (504). The SDK
 * message stays in our logs; callers get the code, not the upstream's internals.
 */
export function answerForFailure(error: unknown): FailureAnswer {
  if (!isMtlsLinkError(error)) return { status: 500, body: { error: 'internal_error' } };
  const code = error.code;
  const upstreamRequestId = error instanceof HttpError ? error.requestId : undefined;
  const body = (name: string) => ({
    error: name,
    code,
    ...(upstreamRequestId === undefined ? {} : { upstreamRequestId }),
  });
  // A 404 from the API is a real answer about the widget, not an outage.
  if (error instanceof HttpError && error.status === 404)
    return { status: 404, body: body('widget_not_found') };
  switch (error.hop) {
    case 'secret':
    case 'identity':
    case 'tls-client':
      // Our client certificate: missing secret, unreadable, expired, or refused by the ALB.
      return { status: 503, body: body('upstream_identity_unavailable') };
    case 'timeout':
      return { status: 504, body: body('upstream_timeout') };
    case 'http':
      // HTTP_MISSING_AUTH_TOKEN: the route or stage does not exist, usually a wrong base URL in our config.
      if (code === 'HTTP_MISSING_AUTH_TOKEN') return { status: 502, body: body('upstream_route_missing') };
      if (code === 'HTTP_ACCESS_DENIED') return { status: 502, body: body('upstream_access_denied') };
      return { status: 502, body: body('upstream_error') };
    default:
      // dns, tcp, tls-server, config, response: the producer cannot be reached or answered garbage.
      return { status: 502, body: body('upstream_unavailable') };
  }
}
