import { classifyFailure } from '@mtls-link/sdk/diagnostics';
import { isProbeCode, type ProbeCode } from '../codes.ts';
import { formatHostPort } from '../net/address.ts';
import { classifyExchange } from '../net/exchange-failure.ts';
import type { TlsExchangeResult } from '../net/tls-exchange.ts';
import { type Check, fail, pass } from './check.ts';
import { exchangeFacts, handshakeAll } from './exchange-all.ts';
import { presentableIdentity } from './identity-inspection.ts';
import { waiveServerTrust } from './server-trust-waiver.ts';
import { startRequestExchanges } from './shared-exchanges.ts';

interface ServerVerdict {
  readonly code?: ProbeCode;
  readonly message?: string;
}

function judge(
  result: TlsExchangeResult,
  sni: string | undefined,
  verifyName: string,
  timeoutMs: number,
): ServerVerdict {
  const hs = result.handshake;
  const at = formatHostPort(result.address, result.port);
  if (hs === undefined) {
    // Nothing from the server's certificate arrived: the handshake itself failed.
    const error = classifyExchange(result, { servername: sni, clientCertificate: false, timeoutMs });
    const code = error !== undefined && isProbeCode(error.code) ? error.code : 'TLS_PROTOCOL';
    return { code, message: error?.message ?? `TLS handshake with ${at} failed` };
  }
  // Node reports a name mismatch as a verify error too; checkServerIdentity's message lists the
  // names the certificate does cover, which is what the reader needs.
  const nameOnly = hs.verifyError === 'ERR_TLS_CERT_ALTNAME_INVALID' && hs.hostnameError !== undefined;
  if (hs.verifyError !== undefined && !nameOnly) {
    const error = classifyFailure(
      { code: hs.verifyError, message: hs.verifyError },
      {
        host: result.address,
        port: result.port,
        servername: sni,
      },
    );
    const code = isProbeCode(error.code) ? error.code : 'TLS_SERVER_UNTRUSTED';
    return { code, message: error.message };
  }
  if (hs.hostnameError !== undefined) {
    return {
      code: 'TLS_HOSTNAME_MISMATCH',
      message: `the server certificate at ${at} does not cover ${verifyName}: ${hs.hostnameError}`,
    };
  }
  if (hs.peerChain[0] !== undefined && hs.peerChain[0].daysLeft < 0) {
    return {
      code: 'TLS_SERVER_EXPIRED',
      message: `the server certificate at ${at} expired ${hs.peerChain[0].notAfter}`,
    };
  }
  return {};
}

export const tlsServerCheck: Check = {
  id: 'tls.server',
  needs: () => ['tcp.connect'],
  async run(context) {
    const identity = presentableIdentity(context);
    // The request exchanges of the next checks go out now, beside these handshakes (each is judged
    // by its own check, only once this one has passed).
    startRequestExchanges(context);
    // Present the client certificate when there is one: under TLS 1.2 a verify-mode server aborts a
    // handshake without one, and this check is about the server's side only.
    const results = await handshakeAll(context, {
      ...(identity === undefined ? {} : { identity }),
      alpn: ['h2', 'http/1.1'],
    });
    const perAddress = results.map((r) => {
      const hs = r.handshake;
      const verdict = judge(r, context.sni, context.target.servername, context.timeoutMs);
      return {
        ...exchangeFacts(r),
        ...(hs === undefined
          ? {}
          : {
              handshakeCompleted: hs.completed,
              cipher: hs.cipher ?? null,
              alpn: hs.alpn,
              chain: hs.peerChain,
              daysLeft: hs.peerChain[0]?.daysLeft ?? null,
            }),
        ...(verdict.code === undefined ? {} : { code: verdict.code }),
        verdict,
      };
    });
    const first = results[0]?.handshake;
    const leaf = first?.peerChain[0];
    const details = {
      servername: context.target.servername,
      protocol: first?.protocol ?? null,
      cipher: first?.cipher ?? null,
      alpn: first?.alpn ?? false,
      daysLeft: leaf?.daysLeft ?? null,
      notAfter: leaf?.notAfter ?? null,
      addresses: perAddress.map(({ verdict, ...rest }) => rest),
    };
    const firstBad = perAddress.find((p) => p.verdict.code !== undefined);
    if (firstBad?.verdict.code !== undefined) {
      const outcome = waiveServerTrust(
        context,
        fail(firstBad.verdict.code, firstBad.verdict.message ?? firstBad.verdict.code, details),
      );
      const good = results.filter((_, i) => perAddress[i]?.verdict.code === undefined);
      if (outcome.status !== 'fail' || good.length === 0) return outcome;
      // Each address is one AZ's interface: the later checks go on through those whose TLS is sound.
      context.dialTargets = good.map((r) => ({ address: r.address, port: r.port }));
      return {
        ...outcome,
        summary: `${outcome.summary}; the later checks run on the ${good.length === 1 ? 'address' : `${good.length} addresses`} whose TLS is sound`,
        excludedTargets: results.flatMap((r, i) => {
          const code = perAddress[i]?.verdict.code;
          return code === undefined
            ? []
            : [{ address: r.address, port: r.port, check: 'tls.server' as const, code }];
        }),
      };
    }
    const refusedClient = results.some((r) => r.handshake?.completed === false);
    return pass(
      `${first?.protocol ?? 'TLS'} ${first?.cipher ?? ''}, certificate for ${context.target.servername} verifies, ${leaf?.daysLeft ?? '?'} days left${refusedClient ? (identity === undefined ? ' (the handshake then failed without a client certificate, as a verify-mode listener does)' : ' (the handshake then refused our client certificate: see tls.client-cert)') : ''}`,
      details,
    );
  },
};
