import { ConfigError } from '../errors/index.ts';
import type { HeadersInit, QueryValue } from './openapi-types.ts';

const templateParam = /\{([^}]+)\}/g;

/** `/widgets/{id}` with `{ id: 'a b' }` → `/widgets/a%20b`; a missing value is a typed error naming it. */
export function fillPathTemplate(
  template: string,
  values: Readonly<Record<string, unknown>> | undefined,
): string {
  if (!template.includes('{')) return template;
  return template.replace(templateParam, (_, name: string) => {
    const value = values?.[name];
    if (value === undefined || value === null || value === '') {
      throw new ConfigError('CONFIG_INVALID', `path parameter ${name} of ${template} is missing`, {
        details: { option: `params.path.${name}` },
      });
    }
    return encodeURIComponent(String(value));
  });
}

/** `?a=1&b=x&b=y` (arrays repeat the key, as OpenAPI's default form/explode style); '' when empty. */
export function queryString(query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (query === undefined) return '';
  let out = '';
  for (const key in query) {
    const value = query[key];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value as readonly unknown[]) {
        out += `${out === '' ? '?' : '&'}${encodeURIComponent(key)}=${encodeURIComponent(String(item))}`;
      }
    } else {
      out += `${out === '' ? '?' : '&'}${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
    }
  }
  return out;
}

export type OutgoingHeaders = Record<string, string | string[]>;

/**
 * One header object for undici, later sources winning; undefined when there is nothing to send
 * (the common case costs no allocation).
 */
export function mergeHeaders(
  defaults: HeadersInit | undefined,
  fromParams: HeadersInit | undefined,
  fromOptions: HeadersInit | undefined,
  contentType: string | undefined,
): OutgoingHeaders | undefined {
  if (
    defaults === undefined &&
    fromParams === undefined &&
    fromOptions === undefined &&
    contentType === undefined
  ) {
    return undefined;
  }
  const out: OutgoingHeaders = {};
  let hasContentType = false;
  for (const source of [defaults, fromParams, fromOptions]) {
    if (source === undefined) continue;
    for (const name in source) {
      const value = source[name];
      if (value === undefined) continue;
      const lower = name.toLowerCase();
      if (lower === 'content-type') hasContentType = true;
      out[lower] = typeof value === 'string' ? value : [...(value as readonly string[])];
    }
  }
  if (contentType !== undefined && !hasContentType) out['content-type'] = contentType;
  return out;
}
