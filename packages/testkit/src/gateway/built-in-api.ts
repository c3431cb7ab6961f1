import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

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
export function accessDeniedAnswer(request: ApiRequest, requestIdPrefix?: string): ApiAnswer {
  const path = new URL(request.url, 'https://emulator.invalid').pathname;
  const resource = `arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/${request.method}${path}`;
  return json(
    403,
    {
      Message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${resource} with an explicit deny`,
    },
    { ...apiGatewayIds(requestIdPrefix), 'x-amzn-ErrorType': 'AccessDeniedException' },
  );
}

function missingAuthenticationToken(ids: Record<string, string>): ApiAnswer {
  return json(
    403,
    { message: 'Missing Authentication Token' },
    {
      ...ids,
      'x-amzn-ErrorType': 'MissingAuthenticationTokenException',
    },
  );
}

/**
 * The small API behind the emulated private REST API: `/widgets`, `/widgets/{id}`, `/echo`;
 * anything else answers 403 Missing Authentication Token, as API Gateway does for an unknown
 * resource or method.
 */
export function builtInApiAnswer(
  request: ApiRequest,
  widgets: Map<string, Widget>,
  requestIdPrefix?: string,
): ApiAnswer {
  const ids = apiGatewayIds(requestIdPrefix);
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
    return missingAuthenticationToken(ids);
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
  return missingAuthenticationToken(ids);
}
