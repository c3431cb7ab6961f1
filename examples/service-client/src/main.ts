/**
 * Runs the widget service against a local producer (test PKI, the ALB-like gateway in mTLS verify
 * mode, a local Secrets Manager holding the client identity), calls it the way its own callers
 * would, rotates the secret to show the new certificate being picked up, and prints what happened.
 *
 *   pnpm exec tsc -b examples/service-client && node examples/service-client/dist/main.js
 *   node examples/service-client/dist/main.js --serve   # keep serving until Ctrl-C / SIGTERM
 */
import { pathToFileURL } from 'node:url';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { identitySecret, localAwsClientConfig, startLocalProducer } from '@mtls-link/testkit';
import { startWidgetService } from './widget-service.ts';

export interface ServiceExampleOptions {
  /** Keep serving until SIGTERM or SIGINT instead of running the scripted calls. */
  readonly serve?: boolean;
  readonly print?: (line: string) => void;
}

export async function runServiceExample(options: ServiceExampleOptions = {}): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const producer = await startLocalProducer();
  const secretsManager = new SecretsManagerClient(localAwsClientConfig(producer.secrets));
  const service = await startWidgetService({
    apiUrl: producer.gateway.url,
    secretId: producer.secretId,
    apiCa: producer.pki.root.certPem,
    secretsManager,
    // Short so the rotation below shows up within a second; keep the 15-minute default in production.
    refreshEvery: '500ms',
    log: (event, fields) => print(`  log ${event} ${JSON.stringify(fields)}`),
  });
  print(`widget service on ${service.url}, producer API on ${producer.gateway.url} (mTLS verify)`);

  const shutdown = async () => {
    await service.close();
    secretsManager.destroy();
    await producer.close();
  };

  if (options.serve === true) {
    print(`serving; try: curl -s ${service.url}/widgets/1`);
    await new Promise<void>((resolve) => {
      // The orchestrator's stop signal: finish the calls in flight, close the mTLS pool, then exit.
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    await shutdown();
    return;
  }

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(service.url + path, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    print(`${method} ${path} -> ${response.status} ${await response.text()}`);
  };
  try {
    await call('GET', '/widgets/1');
    await call('GET', '/widgets/404');
    await call('POST', '/widgets', { price: '7.25' });
    await call('GET', '/healthz');

    const next = await producer.pki.intermediate.issueClient({ commonName: 'widgets-client rotated' });
    producer.secrets.rotate(producer.secretId, { string: identitySecret(next) });
    print(`rotated ${producer.secretId} to a certificate with serial ${next.serialHex}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await call('GET', '/widgets/2');
    await call('GET', '/healthz');
    const lastConnection = producer.gateway.connectionLog.at(-1);
    print(
      `gateway saw ${producer.gateway.handshakes()} TLS handshakes; last client certificate serial ` +
        `${lastConnection?.leafClientCertSerialNumber} (${lastConnection?.tlsVerifyStatus})`,
    );
  } finally {
    await shutdown();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runServiceExample({ serve: process.argv.includes('--serve') });
}
