import { HttpError } from '../errors/index.ts';

export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface HttpFailureFacts {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly headers: ResponseHeaders;
  readonly body: string;
}

// Bodies can be large HTML pages; an error keeps enough to recognise the page, not all of it.
const maxBodyInError = 2048;

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Turns a non-2xx answer into the error that says who answered: API Gateway's resource policy
 * (AccessDeniedException), a missing route/stage/mapping (ForbiddenException or
 * MissingAuthenticationTokenException), an authorizer (401), or the ALB itself (502/503/504).
 */
export function classifyHttpResponse(facts: HttpFailureFacts): HttpError {
  const { status, method, url, headers } = facts;
  // API Gateway appends ":http://internal.amazon.com/coral/..." to the type on some paths.
  const errorType = headerValue(headers, 'x-amzn-errortype')?.split(':')[0];
  const requestId = headerValue(headers, 'x-amzn-requestid') ?? headerValue(headers, 'x-amz-apigw-id');
  const body = facts.body.length > maxBodyInError ? `${facts.body.slice(0, maxBodyInError)}…` : facts.body;
  const server = headerValue(headers, 'server');
  const errorFacts = {
    status,
    method,
    url,
    body,
    ...(errorType === undefined ? {} : { errorType }),
    ...(requestId === undefined ? {} : { requestId }),
  };
  const idNote = requestId === undefined ? '' : ` (request id ${requestId})`;
  const where = `${method} ${url}`;

  if (status === 403 && errorType === 'AccessDeniedException') {
    return new HttpError(
      'HTTP_ACCESS_DENIED',
      `${where}: 403 AccessDeniedException, the API's resource policy denied the call${idNote}`,
      errorFacts,
    );
  }
  if (
    status === 403 &&
    (errorType === 'ForbiddenException' ||
      errorType === 'MissingAuthenticationTokenException' ||
      facts.body.includes('Missing Authentication Token'))
  ) {
    return new HttpError(
      'HTTP_MISSING_AUTH_TOKEN',
      `${where}: 403 ${errorType ?? 'Missing Authentication Token'}, no such resource, stage or base-path mapping${idNote}`,
      errorFacts,
    );
  }
  if (status === 401) {
    return new HttpError(
      'HTTP_UNAUTHORIZED',
      `${where}: 401, the API's authorizer refused the call${idNote}`,
      errorFacts,
    );
  }
  if (status === 502 || status === 503 || status === 504) {
    const byAlb = server?.startsWith('awselb') === true;
    return new HttpError(
      'HTTP_GATEWAY_ERROR',
      `${where}: ${status} from ${byAlb ? `the load balancer (${server})` : 'a gateway'}${idNote}`,
      errorFacts,
    );
  }
  return new HttpError(
    'HTTP_UNEXPECTED_STATUS',
    `${where}: unexpected status ${status}${errorType === undefined ? '' : ` ${errorType}`}${idNote}`,
    errorFacts,
  );
}
