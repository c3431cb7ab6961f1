import type { EndpointHandler, EndpointRequest } from './http-endpoint.ts';
import { ServiceFault } from './service-fault.ts';

/** A value the XML writer can serialise: element names are the object keys, exactly as on the wire. */
export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | undefined
  | null
  | XmlValue[]
  | { [k: string]: XmlValue };

/** The decoded form body of a query-protocol request. */
export class QueryParams {
  readonly #params: URLSearchParams;

  constructor(body: string) {
    this.#params = new URLSearchParams(body);
  }

  get(name: string): string | undefined {
    return this.#params.get(name) ?? undefined;
  }

  /** `Prefix.1`, `Prefix.2`, … in index order (EC2 style lists; pass `Name.member` for awsQuery lists). */
  list(prefix: string): string[] {
    return this.#indexed(new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)$`)).map(([, value]) => value);
  }

  /** EC2 `Filter.N.Name` / `Filter.N.Value.M` pairs. */
  filters(): { name: string; values: string[] }[] {
    return this.#indexed(/^Filter\.(\d+)\.Name$/).map(([index, name]) => ({
      name,
      values: this.list(`Filter.${index}.Value`),
    }));
  }

  #indexed(pattern: RegExp): [number, string][] {
    const found: [number, string][] = [];
    for (const [key, value] of this.#params) {
      const match = pattern.exec(key);
      if (match) found.push([Number(match[1]), value]);
    }
    return found.sort((a, b) => a[0] - b[0]);
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Serialises `value` as child elements; arrays become repeated `<listItem>` children. */
export function toXml(value: XmlValue, listItem: string): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value))
    return value.map((v) => `<${listItem}>${toXml(v, listItem)}</${listItem}>`).join('');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v, listItem)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** How one query-protocol service wraps answers and errors (EC2 and awsQuery services differ). */
export interface QueryDialect {
  readonly namespace: string;
  readonly listItem: 'item' | 'member';
  envelope(action: string, bodyXml: string, requestId: string): string;
  error(fault: ServiceFault, requestId: string): string;
}

const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8"?>\n';

export const ec2Dialect = (namespace: string): QueryDialect => ({
  namespace,
  listItem: 'item',
  envelope: (action, bodyXml, requestId) =>
    `${xmlDeclaration}<${action}Response xmlns="${namespace}"><requestId>${requestId}</requestId>${bodyXml}</${action}Response>`,
  error: (fault, requestId) =>
    `${xmlDeclaration}<Response><Errors><Error><Code>${escapeXml(fault.code)}</Code><Message>${escapeXml(fault.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
});

export const awsQueryDialect = (namespace: string): QueryDialect => ({
  namespace,
  listItem: 'member',
  envelope: (action, bodyXml, requestId) =>
    `${xmlDeclaration}<${action}Response xmlns="${namespace}"><${action}Result>${bodyXml}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  error: (fault, requestId) =>
    `${xmlDeclaration}<ErrorResponse xmlns="${namespace}"><Error><Type>${fault.side}</Type><Code>${escapeXml(fault.code)}</Code><Message>${escapeXml(fault.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
});

/** One query action: decoded params in, the response's child elements out. */
export type QueryOperation = (params: QueryParams, request: EndpointRequest) => Record<string, XmlValue>;

/** Routes form-encoded `Action=…` requests to the action's entry in `operations`. */
export function queryHandler(
  dialect: QueryDialect,
  operations: Record<string, QueryOperation>,
): EndpointHandler {
  return (request) => {
    const params = new QueryParams(
      request.method === 'POST' ? request.body.toString('utf8') : request.url.searchParams.toString(),
    );
    const action = params.get('Action') ?? '';
    try {
      const operation = Object.hasOwn(operations, action) ? operations[action] : undefined;
      if (!operation)
        throw new ServiceFault(
          'InvalidAction',
          `The action ${action || '(none)'} is not valid for this web service.`,
        );
      const body = toXml(operation(params, request), dialect.listItem);
      return {
        status: 200,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body: dialect.envelope(action, body, request.requestId),
      };
    } catch (error) {
      if (!(error instanceof ServiceFault)) throw error;
      return {
        status: error.status,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body: dialect.error(error, request.requestId),
      };
    }
  };
}
