import { errorTypeOf, headerValue, requestIdOf } from '@mtls-link/sdk/diagnostics';
import { isProbeCode } from '../codes.ts';
import type { CheckId } from '../result.ts';
import { type Check, fail, pass } from './check.ts';
import { outcomeFacts, requestAll } from './exchange-all.ts';
import { clientExchanges } from './shared-exchanges.ts';

export const httpCheck: Check = {
  id: 'http.response',
  needs: (context): CheckId[] =>
    context.inputs.identity === undefined ? ['tls.server'] : ['tls.server', 'tls.client-cert'],
  async run(context) {
    // With credentials, tls.client-cert already sent this request on a fresh connection per address;
    // judging that answer keeps a full run at three handshakes per address.
    const results =
      context.inputs.identity === undefined
        ? await requestAll(context, undefined)
        : await clientExchanges(context);
    const first = results[0];
    if (first === undefined) throw new Error('http.response ran without a dial target');
    const response = first.response;
    const dnsMs = context.dnsMs ?? 0;
    const phases = {
      dns: dnsMs,
      connect: first.timings.connectMs ?? null,
      tls: first.timings.tlsMs ?? null,
      firstByte: first.timings.firstByteMs ?? null,
      total: Math.round((dnsMs + first.timings.totalMs) * 10) / 10,
    };
    const perAddress = results.map(outcomeFacts);
    if (response === undefined) {
      const error = first.error;
      const code = error !== undefined && isProbeCode(error.code) ? error.code : 'REQUEST_FAILED';
      return fail(code, error?.message ?? 'no response', { phases, addresses: perAddress });
    }
    const requestId = requestIdOf(response.headers);
    const errorType = errorTypeOf(response.headers);
    const server = headerValue(response.headers, 'server');
    const details = {
      status: response.status,
      expectStatus: context.expectStatus,
      phases,
      ...(requestId === undefined ? {} : { requestId }),
      ...(errorType === undefined ? {} : { errorType }),
      ...(server === undefined ? {} : { server }),
      ...(first.connection?.alpnProtocol === undefined ? {} : { alpn: first.connection.alpnProtocol }),
      ...(response.body === '' ? {} : { bodyStart: response.body.slice(0, 120) }),
      addresses: perAddress,
    };
    const wrong = results.find((r) => r.response === undefined || r.response.status !== context.expectStatus);
    if (wrong === undefined) {
      return pass(
        `${context.request.method} ${context.target.path} → ${response.status} in ${phases.total} ms${requestId === undefined ? '' : ` (request id ${requestId})`}`,
        details,
      );
    }
    const error = wrong.error;
    const code = error !== undefined && isProbeCode(error.code) ? error.code : 'HTTP_UNEXPECTED_STATUS';
    const summary =
      wrong.response === undefined
        ? (error?.message ?? 'no response')
        : code === 'HTTP_UNEXPECTED_STATUS'
          ? `${error?.message ?? `unexpected status ${wrong.response.status}`} (expected ${context.expectStatus})`
          : (error?.message ?? `status ${wrong.response.status}`);
    return fail(code, summary, {
      ...details,
      ...(wrong.response === undefined ? {} : { body: wrong.response.body.slice(0, 512) }),
    });
  },
};
