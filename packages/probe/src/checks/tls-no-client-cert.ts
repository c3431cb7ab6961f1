import { isProbeCode } from '../codes.ts';
import { formatHostPort } from '../net/address.ts';
import { classifyExchange } from '../net/exchange-failure.ts';
import { type Check, fail, pass } from './check.ts';
import { exchangeAll } from './exchange-all.ts';
import { describeRefusal, refusalFacts, refusalOf } from './refusal.ts';

export const tlsNoClientCertCheck: Check = {
  id: 'tls.no-client-cert',
  needs: () => ['tls.server'],
  async run(context) {
    const results = await exchangeAll(context, { withRequest: true, alpn: ['http/1.1'] });
    const perAddress = results.map(refusalFacts);
    const details = { addresses: perAddress };
    const accepted = results.find((r) => r.response !== undefined);
    if (accepted?.response !== undefined) {
      return fail(
        'MTLS_NOT_ENFORCED',
        `${formatHostPort(accepted.address, accepted.port)} answered ${accepted.response.status} to a request without a client certificate`,
        details,
      );
    }
    const unclear = results.find((r) => refusalOf(r) === undefined);
    if (unclear !== undefined) {
      // Neither an answer nor a refusal: the connection itself broke; say how, as the SDK would.
      const error = classifyExchange(unclear, {
        servername: context.sni,
        clientCertificate: false,
        timeoutMs: context.timeoutMs,
      });
      const code = error !== undefined && isProbeCode(error.code) ? error.code : 'REQUEST_FAILED';
      return fail(
        code,
        `${formatHostPort(unclear.address, unclear.port)} neither answered nor refused a connection without a client certificate: ${error?.message ?? unclear.failure?.message ?? 'unknown'}`,
        details,
      );
    }
    const first = refusalOf(results[0] ?? ({} as never));
    return pass(
      `refused without a client certificate ${first ? describeRefusal(first) : ''}`.trim(),
      details,
    );
  },
};
