import { describe, expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import type { ClientIdentity } from '../src/identity/types.ts';
import { type ClientResponse, createClient, type ErrorBodyOf, type HttpError } from '../src/index.ts';
import type { components, paths } from './fixtures/widgets-api.generated.ts';

type Widget = components['schemas']['Widget'];
declare const identity: ClientIdentity;
const api = createClient<paths>({ baseUrl: 'https://api.example.com', identity });

describe('parseAs and typed error bodies', () => {
  test('data follows parseAs', () => {
    expectTypeOf(api.GET('/widgets', { parseAs: 'bytes' })).resolves.toEqualTypeOf<
      ClientResponse<Uint8Array>
    >();
    expectTypeOf(api.GET('/widgets', { parseAs: 'text' })).resolves.toEqualTypeOf<ClientResponse<string>>();
    expectTypeOf(api.GET('/widgets', { parseAs: 'stream' })).resolves.toEqualTypeOf<
      ClientResponse<ReadableStream<Uint8Array>>
    >();
    expectTypeOf(api.GET('/widgets', { parseAs: 'json' })).resolves.toEqualTypeOf<ClientResponse<Widget[]>>();
    expectTypeOf(api.request({ method: 'GET', path: '/x', parseAs: 'bytes' })).resolves.toEqualTypeOf<
      ClientResponse<Uint8Array>
    >();
    // @ts-expect-error not a parseAs
    void api.GET('/widgets', { parseAs: 'xml' });
  });

  test('ErrorBodyOf is the error response the document declares', () => {
    type NotFound = ErrorBodyOf<paths, '/widgets/{id}', 'get'>;
    expectTypeOf<NotFound>().toEqualTypeOf<components['schemas']['Error']>();
    expectTypeOf<HttpError<NotFound>['data']>().toEqualTypeOf<components['schemas']['Error'] | undefined>();
  });
});

describe('typed method helpers over openapi-typescript paths', () => {
  test('data is the 2xx JSON body of the operation', () => {
    expectTypeOf(api.GET('/widgets')).resolves.toEqualTypeOf<ClientResponse<Widget[]>>();
    expectTypeOf(api.GET('/widgets/{id}', { params: { path: { id: '1' } } })).resolves.toEqualTypeOf<
      ClientResponse<Widget>
    >();
    expectTypeOf(api.POST('/widgets', { body: { value: '1.00' } })).resolves.toEqualTypeOf<
      ClientResponse<Widget>
    >();
    expectTypeOf(api.DELETE('/widgets/{id}', { params: { path: { id: '1' } } })).resolves.toEqualTypeOf<
      ClientResponse<undefined>
    >();
  });

  test('optional query and header parameters are accepted', () => {
    expectTypeOf(api.GET('/widgets', { params: { query: { limit: 2 } } })).resolves.toEqualTypeOf<
      ClientResponse<Widget[]>
    >();
    expectTypeOf(
      api.POST('/widgets', { params: { header: { 'Idempotency-Key': 'k1' } }, body: { value: '2' } }),
    ).resolves.toEqualTypeOf<ClientResponse<Widget>>();
  });

  test('a wrong path does not compile', () => {
    // @ts-expect-error no such path
    void api.GET('/gadgets');
    // @ts-expect-error /widgets/{id} has no POST
    void api.POST('/widgets/{id}', { params: { path: { id: '1' } }, body: { value: 'x' } });
  });

  test('a missing or wrong parameter does not compile', () => {
    // @ts-expect-error the path parameter id is required
    void api.GET('/widgets/{id}');
    // @ts-expect-error params.path is required
    void api.GET('/widgets/{id}', {});
    // @ts-expect-error id is a string
    void api.GET('/widgets/{id}', { params: { path: { id: 1 } } });
    // @ts-expect-error limit is a number
    void api.GET('/widgets', { params: { query: { limit: 'ten' } } });
  });

  test('a missing or wrong body does not compile', () => {
    // @ts-expect-error the request body is required
    void api.POST('/widgets');
    // @ts-expect-error value is a string
    void api.POST('/widgets', { body: { value: 3 } });
    // @ts-expect-error GET /widgets takes no body
    void api.GET('/widgets', { body: { value: '1' } });
  });

  test('a Standard Schema replaces the data type with its output', () => {
    const schema = z.array(z.object({ id: z.string(), price: z.coerce.number() }));
    expectTypeOf(api.GET('/widgets', { schema })).resolves.toEqualTypeOf<
      ClientResponse<{ id: string; price: number }[]>
    >();
  });
});

describe('untyped request()', () => {
  test('data is unknown without a schema and the schema output with one', () => {
    expectTypeOf(api.request({ method: 'GET', path: '/anything' })).resolves.toEqualTypeOf<
      ClientResponse<unknown>
    >();
    const schema = z.object({ id: z.string() });
    expectTypeOf(api.request({ method: 'GET', path: '/widgets/1', schema })).resolves.toEqualTypeOf<
      ClientResponse<{ id: string }>
    >();
  });

  test('without a paths type any path is allowed and data is unknown', () => {
    const loose = createClient({ baseUrl: 'https://api.example.com', identity });
    expectTypeOf(loose.GET('/whatever/{x}', { params: { path: { x: 1 } } })).resolves.toEqualTypeOf<
      ClientResponse<unknown>
    >();
  });

  test('errors are typed HttpError with status and request id', () => {
    expectTypeOf<HttpError['status']>().toEqualTypeOf<number>();
    expectTypeOf<HttpError['requestId']>().toEqualTypeOf<string | undefined>();
  });
});
