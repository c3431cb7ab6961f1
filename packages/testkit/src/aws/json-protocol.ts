import type { EndpointHandler, EndpointRequest, EndpointResponse } from './http-endpoint.ts';
import { ServiceFault } from './service-fault.ts';

export type JsonInput = Record<string, unknown>;
/** One AWS JSON 1.1 action: takes the decoded request body, returns the response body. */
export type JsonOperation = (input: JsonInput) => object;

const contentType = 'application/x-amz-json-1.1';

export function jsonFaultResponse(fault: ServiceFault): EndpointResponse {
  // The SDK reads the code from x-amzn-ErrorType first and falls back to __type; both are sent, as AWS does.
  return {
    status: fault.status,
    headers: { 'content-type': contentType, 'x-amzn-errortype': fault.code },
    body: JSON.stringify({ __type: fault.code, message: fault.message }),
  };
}

/**
 * Routes `POST /` with `X-Amz-Target: <targetPrefix>.<Action>` to the action's entry in `operations`.
 * `invoke` lets a caller wrap every action (fault injection, call recording) in one place.
 */
export function jsonRpcHandler(
  targetPrefix: string,
  invoke: (action: string, input: JsonInput, request: EndpointRequest) => object | Promise<object>,
): EndpointHandler {
  return async (request) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const action = target.startsWith(`${targetPrefix}.`) ? target.slice(targetPrefix.length + 1) : '';
    try {
      if (request.method !== 'POST' || action === '') {
        throw new ServiceFault('UnknownOperationException', `no operation for X-Amz-Target '${target}'`);
      }
      let input: unknown;
      try {
        input = request.body.byteLength === 0 ? {} : JSON.parse(request.body.toString('utf8'));
      } catch {
        throw new ServiceFault('SerializationException', 'request body is not valid JSON');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new ServiceFault('SerializationException', 'request body must be a JSON object');
      }
      const output = await invoke(action, input as JsonInput, request);
      return { status: 200, headers: { 'content-type': contentType }, body: JSON.stringify(output) };
    } catch (error) {
      if (error instanceof ServiceFault) return jsonFaultResponse(error);
      throw error;
    }
  };
}
