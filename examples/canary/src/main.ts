/**
 * Runs the probe's canary Lambda handler locally against the emulator: a test PKI, the ALB-like
 * gateway in mTLS verify mode, and a local Secrets Manager holding the client identity. The handler
 * gets exactly the environment the ProbeCanary construct sets in AWS, writes its EMF metrics and log
 * line, and returns the JSON result, which this prints.
 *
 *   pnpm exec tsc -b examples/canary && node examples/canary/dist/main.js
 */
import { pathToFileURL } from 'node:url';
import { CANARY_ENV, type CanaryResult, createCanaryHandler } from '@mtls-link/probe/canary';
import { createTestPki, localAwsCredentials, startGateway, startSecretsManager } from '@mtls-link/testkit';

export interface CanaryExampleOptions {
  /** Where the handler's EMF documents and log line go. @default process.stdout */
  readonly write?: (line: string) => void;
}

export async function runCanaryExample(options: CanaryExampleOptions = {}): Promise<CanaryResult> {
  const pki = await createTestPki();
  const [gateway, secrets] = await Promise.all([
    startGateway({
      mode: 'verify',
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
    }),
    startSecretsManager({
      secrets: [
        {
          name: 'consumer/api-client',
          string: JSON.stringify({
            certificate: pki.clients.valid.certPem,
            privateKey: pki.clients.valid.keyPem,
            certificateChain: pki.clients.valid.chainPem,
          }),
        },
      ],
    }),
  ]);
  const env: NodeJS.ProcessEnv = {
    [CANARY_ENV.url]: `https://localhost:${gateway.port}/widgets`,
    [CANARY_ENV.secretId]: 'consumer/api-client',
    [CANARY_ENV.expectStatus]: '200',
    // In AWS the server certificate chains to a public or private CA the function trusts already.
    [CANARY_ENV.ca]: pki.root.certPem,
    // The local gateway listens on 127.0.0.1 only; localhost may also resolve to ::1.
    [CANARY_ENV.connectTo]: `127.0.0.1:${gateway.port}`,
    [CANARY_ENV.secretsEndpoint]: secrets.endpoint,
    POWERTOOLS_SERVICE_NAME: 'example-canary',
  };
  // The AWS SDK inside the handler finds credentials and region the usual way, in the environment.
  process.env.AWS_ACCESS_KEY_ID ??= localAwsCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= localAwsCredentials.secretAccessKey;
  process.env.AWS_REGION ??= 'us-east-1';
  try {
    const handler = createCanaryHandler({
      env,
      ...(options.write === undefined ? {} : { write: options.write }),
    });
    return await handler({});
  } finally {
    await Promise.all([gateway.close(), secrets.close()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runCanaryExample();
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.verdict === 'fail' ? 1 : 0;
}
