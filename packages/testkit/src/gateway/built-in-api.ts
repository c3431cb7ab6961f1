import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiGatewayOptions } from './options.ts';

/** A request as the emulator's answer functions see it, whatever HTTP version carried it. */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The `X-Amzn-Mtls-*` headers the ALB added, by their canonical names. */
  readonly mtls: Readonly<Record<string, string>>;
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
}

export interface Widget {
  id: string;
  value: string;
}

/** The widgets the built-in API starts with. */
export function seedWidgets(): Map<string, Widget> {
  return new Map([
    ['1', { id: '1', value: '4.99' }],
    ['2', { id: '2', value: '12.50' }],
    ['3', { id: '3', value: '0.99' }],
  ]);
}

function apiGatewayIds(requestIdPrefix: string | undefined): Record<string, string> {
  return {
    'x-amzn-RequestId': `${requestIdPrefix ?? ''}${randomUUID()}`,
    // API Gateway's extended request id looks like 15 base64 characters and a '='.
    'x-amz-apigw-id': randomBytes(11).toString('base64'),
  };
}

function json(status: number, value: unknown, extra: Record<string, string>): ApiAnswer {
  return { status, headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(value) };
}

const albErrorTitles: Readonly<Record<502 | 503 | 504, string>> = {
  502: '502 Bad Gateway',
  503: '503 Service Temporarily Unavailable',
  504: '504 Gateway Time-out',
};

/** The ALB's own error page: short HTML and `Server: awselb/2.0`, no API Gateway headers. */
export function albErrorAnswer(status: 502 | 503 | 504): ApiAnswer {
  const title = albErrorTitles[status];
  return {
    status,
    headers: { server: 'awselb/2.0', 'content-type': 'text/html' },
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`,
  };
}

/** A resource policy's explicit deny, as a private REST API answers it. */
function accessDeniedAnswer(request: ApiRequest, ids: Record<string, string>): ApiAnswer {
  const path = new URL(request.url, 'https://emulator.invalid').pathname;
  const resource = `arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/${request.method}${path}`;
  return json(
    403,
    {
      Message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${resource} with an explicit deny`,
    },
    { ...ids, 'x-amzn-ErrorType': 'AccessDeniedException' },
  );
}

/** An unknown resource: the long-standing error type, or the newer ForbiddenException with the same body. */
function missingAuthenticationToken(ids: Record<string, string>, errorType: string): ApiAnswer {
  return json(403, { message: 'Missing Authentication Token' }, { ...ids, 'x-amzn-ErrorType': errorType });
}

/** The 403 for a wrong Host (the endpoint routes to no API) or a WAF block. */
function forbidden(ids: Record<string, string>): ApiAnswer {
  return json(403, { message: 'Forbidden' }, { ...ids, 'x-amzn-ErrorType': 'ForbiddenException' });
}

/**
 * The execute-api VPC endpoint policy denies: API Gateway reads the Authorization header as a
 * SigV4 one and complains about it. AWS echoes the whole header after `Authorization=`; the
 * emulator echoes only its scheme, so no token of the caller lands in a log or an error.
 */
function endpointPolicyDenied(
  kind: NonNullable<ApiGatewayOptions['endpointPolicyDeny']>,
  request: ApiRequest,
  ids: Record<string, string>,
): ApiAnswer {
  const authorization = request.headers.authorization;
  const scheme = typeof authorization === 'string' ? (authorization.split(' ')[0] ?? '') : '';
  const message =
    kind === 'IncompleteSignatureException'
      ? "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
        "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a " +
        `'X-Amz-Date' or a 'Date' header. Authorization=${scheme}`
      : 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key ' +
        'and signing method. Consult the service documentation for details.';
  return json(403, { message }, { ...ids, 'x-amzn-ErrorType': kind });
}

function hostOf(request: ApiRequest): string {
  const host = request.headers.host ?? '';
  // Strip a port, keeping a bracketed IPv6 literal whole.
  return (
    host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '')
  ).toLowerCase();
}

/** Whether the request names the API: by Host, or through the endpoint with `x-apigw-api-id`. */
function addressesApi(request: ApiRequest, domainName: string): boolean {
  const domain = domainName.toLowerCase();
  if (hostOf(request) === domain) return true;
  const apiId = request.headers['x-apigw-api-id'];
  return (
    typeof apiId === 'string' && apiId !== '' && domain.startsWith(`${apiId.toLowerCase()}.execute-api.`)
  );
}

/**
 * What the emulated private REST API answers, in API Gateway's order: the execute-api endpoint
 * policy, the API's domain (Host), the resource policy, the authorizer, then the route.
 */
export function apiGatewayAnswer(
  request: ApiRequest,
  widgets: Map<string, Widget>,
  options: ApiGatewayOptions,
): ApiAnswer {
  const ids = apiGatewayIds(options.requestIdPrefix);
  if (options.endpointPolicyDeny !== undefined) {
    return endpointPolicyDenied(options.endpointPolicyDeny, request, ids);
  }
  if (options.domainName !== undefined && !addressesApi(request, options.domainName)) return forbidden(ids);
  if (options.accessDenied === true) return accessDeniedAnswer(request, ids);
  if (options.authorizer === 'unauthorized') {
    return json(401, { message: 'Unauthorized' }, { ...ids, 'x-amzn-ErrorType': 'UnauthorizedException' });
  }
  if (options.authorizer === 'deny') {
    return json(
      403,
      { Message: 'User is not authorized to access this resource with an explicit deny' },
      { ...ids, 'x-amzn-ErrorType': 'AccessDeniedException' },
    );
  }
  return builtInApiAnswer(request, widgets, ids, options.missingRoute);
}

/**
 * The small API behind the emulated private REST API: `/widgets`, `/widgets/{id}`, `/echo`;
 * anything else answers API Gateway's 403 for an unknown resource or method, in the chosen shape.
 */
function builtInApiAnswer(
  request: ApiRequest,
  widgets: Map<string, Widget>,
  ids: Record<string, string>,
  missingRoute: ApiGatewayOptions['missingRoute'] = 'missing-authentication-token',
): ApiAnswer {
  const noRoute = (): ApiAnswer =>
    missingAuthenticationToken(
      ids,
      missingRoute === 'forbidden' ? 'ForbiddenException' : 'MissingAuthenticationTokenException',
    );
  const url = new URL(request.url, 'https://emulator.invalid');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = request.method.toUpperCase();
  if (path === '/echo') {
    return json(
      200,
      {
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: request.headers,
        body: request.body.toString('utf8'),
        mtls: request.mtls,
      },
      ids,
    );
  }
  if (path === '/widgets') {
    if (method === 'GET') return json(200, [...widgets.values()], ids);
    if (method === 'POST') {
      let input: unknown;
      try {
        input = JSON.parse(request.body.toString('utf8'));
      } catch {
        return json(
          400,
          { message: 'Invalid request body' },
          { ...ids, 'x-amzn-ErrorType': 'BadRequestException' },
        );
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return json(
          400,
          { message: 'Invalid request body' },
          { ...ids, 'x-amzn-ErrorType': 'BadRequestException' },
        );
      }
      const id = String(Math.max(0, ...[...widgets.keys()].map(Number).filter(Number.isFinite)) + 1);
      const widget = { ...(input as Record<string, unknown>), id } as Widget;
      widgets.set(id, widget);
      return json(201, widget, ids);
    }
    return noRoute();
  }
  const match = /^\/widgets\/([^/]+)$/.exec(path);
  if (match !== null && method === 'GET') {
    let id: string;
    try {
      id = decodeURIComponent(match[1] ?? '');
    } catch {
      return json(
        400,
        { message: 'Invalid request path' },
        { ...ids, 'x-amzn-ErrorType': 'BadRequestException' },
      );
    }
    const widget = widgets.get(id);
    return widget === undefined ? json(404, { message: 'Widget not found' }, ids) : json(200, widget, ids);
  }
  return noRoute();
}
