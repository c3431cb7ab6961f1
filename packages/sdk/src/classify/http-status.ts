import { ClientCertificateRejectedError, HttpError } from '../errors/index.ts';

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

/** A response header's first value. */
export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** API Gateway's request id, for the producer's logs. */
export function requestIdOf(headers: ResponseHeaders): string | undefined {
  return headerValue(headers, 'x-amzn-requestid') ?? headerValue(headers, 'x-amz-apigw-id');
}

/** `x-amzn-ErrorType` without the ":http://internal.amazon.com/coral/..." API Gateway appends on some paths. */
export function errorTypeOf(headers: ResponseHeaders): string | undefined {
  return headerValue(headers, 'x-amzn-errortype')?.split(':')[0];
}

/** Why a TLS terminator refused the client certificate at HTTP level. */
export type HttpRefusalReason = 'certificate-required' | 'certificate-error';

/**
 * nginx with `ssl_verify_client on` finishes every handshake and answers itself: its 400 pages
 * (internally 495 "SSL Certificate Error" and 496 "SSL Certificate Required", which a config can
 * also pass on as they are).
 */
export function httpRefusalOf(status: number, body: string): HttpRefusalReason | undefined {
  if (status === 496) return 'certificate-required';
  if (status === 495) return 'certificate-error';
  if (status !== 400) return undefined;
  if (body.includes('No required SSL certificate was sent')) return 'certificate-required';
  if (body.includes('The SSL certificate error')) return 'certificate-error';
  return undefined;
}

const refusalTexts: Record<HttpRefusalReason, string> = {
  'certificate-required': 'no client certificate was sent',
  'certificate-error': 'the client certificate failed verification',
};

/**
 * Turns a non-2xx answer into the error that says who answered: a TLS terminator refusing the
 * client certificate at HTTP level (nginx's 400 pages: `MTLS_REJECTED`, `details.signal: 'http'`),
 * API Gateway's resource policy (AccessDeniedException naming execute-api:Invoke), an authorizer
 * (401, or 403 with an explicit deny), a missing route/stage/mapping (Missing Authentication
 * Token), a WAF or an unroutable Host (ForbiddenException "Forbidden"), the execute-api endpoint
 * policy (Incomplete/InvalidSignatureException), or the ALB itself (502/503/504).
 */
export function classifyHttpResponse(facts: HttpFailureFacts): HttpError | ClientCertificateRejectedError {
  const { status, method, url, headers } = facts;
  const errorType = errorTypeOf(headers);
  const requestId = requestIdOf(headers);
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

  const refusal = httpRefusalOf(status, facts.body);
  if (refusal !== undefined) {
    return new ClientCertificateRejectedError(
      'MTLS_REJECTED',
      `${where}: the server finished the TLS handshake and refused the client certificate at HTTP level: ${status}, ${refusalTexts[refusal]}${server === undefined ? '' : ` (${server})`}`,
      {
        details: {
          ...errorFacts,
          signal: 'http',
          reason: refusal,
          ...(server === undefined ? {} : { server }),
        },
      },
    );
  }
  if (
    status === 403 &&
    (errorType === 'IncompleteSignatureException' || errorType === 'InvalidSignatureException')
  ) {
    return new HttpError(
      'HTTP_ENDPOINT_POLICY_DENIED',
      `${where}: 403 ${errorType}, the execute-api VPC endpoint's policy denied the call${idNote}`,
      errorFacts,
    );
  }
  if (
    status === 403 &&
    /with an explicit deny/i.test(facts.body) &&
    !facts.body.includes('execute-api:Invoke')
  ) {
    return new HttpError(
      'HTTP_UNAUTHORIZED',
      `${where}: 403, the API's authorizer returned an explicit deny${idNote}`,
      errorFacts,
      { details: { authorizer: 'deny' } },
    );
  }
  if (status === 403 && errorType === 'AccessDeniedException') {
    return new HttpError(
      'HTTP_ACCESS_DENIED',
      `${where}: 403 AccessDeniedException, the API's resource policy denied the call${idNote}`,
      errorFacts,
    );
  }
  if (
    status === 403 &&
    (errorType === 'MissingAuthenticationTokenException' ||
      facts.body.includes('Missing Authentication Token'))
  ) {
    return new HttpError(
      'HTTP_MISSING_AUTH_TOKEN',
      `${where}: 403 ${errorType ?? 'Missing Authentication Token'}, no such resource, stage or base-path mapping${idNote}`,
      errorFacts,
    );
  }
  if (status === 403 && errorType === 'ForbiddenException') {
    return new HttpError(
      'HTTP_FORBIDDEN',
      `${where}: 403 ForbiddenException, refused before any route: a WAF rule, or a Host / x-apigw-api-id the endpoint does not route${idNote}`,
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
