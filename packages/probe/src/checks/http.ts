import { classifyHttpResponse } from '@mtls-link/sdk/diagnostics';
import { isProbeCode } from '../codes.ts';
import { classifyExchange } from '../net/exchange-failure.ts';
import type { CheckId } from '../result.ts';
import { type Check, fail, pass } from './check.ts';
import { exchangeAll, exchangeFacts } from './exchange-all.ts';

export const httpCheck: Check = {
  id: 'http.response',
  needs: (context): CheckId[] =>
    context.inputs.identity === undefined ? ['tls.server'] : ['tls.server', 'tls.client-cert'],
  async run(context) {
    // With credentials, tls.client-cert already sent this request on a fresh connection per address;
    // judging that answer keeps a full run at three handshakes per address.
    const results =
      context.clientExchanges ?? (await exchangeAll(context, { withRequest: true, alpn: ['http/1.1'] }));
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
    const perAddress = results.map(exchangeFacts);
    if (response === undefined) {
      const error = classifyExchange(first, {
        servername: context.sni,
        clientCertificate: context.inputs.identity !== undefined,
        timeoutMs: context.timeoutMs,
        method: context.request.method,
        url: context.target.url,
      });
      const code = error !== undefined && isProbeCode(error.code) ? error.code : 'REQUEST_FAILED';
      return fail(code, error?.message ?? 'no response', { phases, addresses: perAddress });
    }
    const requestId = response.headers['x-amzn-requestid'] ?? response.headers['x-amz-apigw-id'];
    const errorType = response.headers['x-amzn-errortype']?.split(':')[0];
    const details = {
      status: response.status,
      expectStatus: context.expectStatus,
      phases,
      ...(requestId === undefined ? {} : { requestId }),
      ...(errorType === undefined ? {} : { errorType }),
      ...(response.headers.server === undefined ? {} : { server: response.headers.server }),
      addresses: perAddress,
    };
    const wrong = results.find((r) => r.response !== undefined && r.response.status !== context.expectStatus);
    if (wrong?.response === undefined) {
      return pass(
        `${context.request.method} ${context.target.path} → ${response.status} in ${phases.total} ms${requestId === undefined ? '' : ` (request id ${requestId})`}`,
        details,
      );
    }
    const error = classifyHttpResponse({
      status: wrong.response.status,
      method: context.request.method,
      url: context.target.url,
      headers: wrong.response.headers,
      body: wrong.response.body,
    });
    const code = isProbeCode(error.code) ? error.code : 'HTTP_UNEXPECTED_STATUS';
    const summary =
      code === 'HTTP_UNEXPECTED_STATUS'
        ? `${error.message} (expected ${context.expectStatus})`
        : error.message;
    return fail(code, summary, { ...details, body: wrong.response.body.slice(0, 512) });
  },
};
