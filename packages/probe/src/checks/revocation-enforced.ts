import { formatHostPort } from '../net/address.ts';
import { type Check, fail, pass } from './check.ts';
import { exchangeAll } from './exchange-all.ts';
import { describeRefusal, refusalFacts, refusalOf } from './refusal.ts';

export const revocationEnforcedCheck: Check = {
  id: 'revocation.enforced',
  needs: () => ['tls.server'],
  notApplicable: (context) =>
    context.inputs.revokedIdentity === undefined ? 'no --revoked-cert/--revoked-key given' : undefined,
  async run(context) {
    const revoked = context.inputs.revokedIdentity;
    if (revoked === undefined) throw new Error('revocation.enforced ran without a revoked identity');
    const results = await exchangeAll(context, { identity: revoked, withRequest: true, alpn: ['http/1.1'] });
    const perAddress = results.map(refusalFacts);
    const details = { revokedSerial: revoked.serialHex, addresses: perAddress };
    const accepted = results.find((r) => r.response !== undefined);
    if (accepted?.response !== undefined) {
      return fail(
        'REVOCATION_NOT_ENFORCED',
        `${formatHostPort(accepted.address, accepted.port)} accepted the revoked certificate (serial ${revoked.serialHex}) and answered ${accepted.response.status}`,
        details,
      );
    }
    const first = results[0] === undefined ? undefined : refusalOf(results[0]);
    return pass(
      `the revoked certificate (serial ${revoked.serialHex}) was refused ${first ? describeRefusal(first) : ''}`.trim(),
      details,
    );
  },
};
