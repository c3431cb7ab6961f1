import { HttpError, isMtlsLinkError } from '@mtls-link/sdk';
import type { APIGatewayProxyResult } from 'aws-lambda';

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export const okResult = json;

/**
 * Maps an SDK failure onto this function's answer. The caller gets the stable `code` (and the
 * producer's request id for an HTTP error), never the upstream's message; the full message goes
 * to the function's log.
 */
export function errorResult(error: unknown): APIGatewayProxyResult {
  if (!isMtlsLinkError(error)) return json(500, { error: 'internal_error' });
  const code = error.code;
  const upstreamRequestId = error instanceof HttpError ? error.requestId : undefined;
  const body = (name: string) => ({
    error: name,
    code,
    ...(upstreamRequestId === undefined ? {} : { upstreamRequestId }),
  });
  if (error instanceof HttpError && error.status === 404) return json(404, body('widget_not_found'));
  switch (error.hop) {
    case 'secret':
    case 'identity':
    case 'tls-client':
      // Our certificate: wrong secret id, no permission, unreadable, expired, or refused by the ALB.
      return json(503, body('upstream_identity_unavailable'));
    case 'timeout':
      return json(504, body('upstream_timeout'));
    case 'http':
      if (code === 'HTTP_MISSING_AUTH_TOKEN') return json(502, body('upstream_route_missing'));
      if (code === 'HTTP_ACCESS_DENIED') return json(502, body('upstream_access_denied'));
      return json(502, body('upstream_error'));
    default:
      return json(502, body('upstream_unavailable'));
  }
}
