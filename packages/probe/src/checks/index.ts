import type { Check } from './check.ts';
import { clientCertCheck } from './client-cert.ts';
import { dnsCheck } from './dns.ts';
import { httpCheck } from './http.ts';
import { revocationCrlCheck } from './revocation-crl.ts';
import { revocationEnforcedCheck } from './revocation-enforced.ts';
import { tcpCheck } from './tcp.ts';
import { tlsClientCertCheck } from './tls-client-cert.ts';
import { tlsNoClientCertCheck } from './tls-no-client-cert.ts';
import { tlsServerCheck } from './tls-server.ts';
import { vpceCheck } from './vpce.ts';

/**
 * Every check, in the contract's order (CHECK_IDS); the engine runs them one after another (tls.server
 * starts the request exchanges of the two checks after it, see shared-exchanges.ts).
 */
export const CHECKS: readonly Check[] = [
  dnsCheck,
  vpceCheck,
  tcpCheck,
  tlsServerCheck,
  clientCertCheck,
  tlsNoClientCertCheck,
  tlsClientCertCheck,
  revocationCrlCheck,
  revocationEnforcedCheck,
  httpCheck,
];
