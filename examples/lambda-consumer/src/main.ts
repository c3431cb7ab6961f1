/**
 * Runs the Lambda function locally against a local producer (test PKI, the ALB-like gateway in
 * mTLS verify mode, a local Secrets Manager holding the client identity): sets the environment
 * the function gets in AWS, loads the entry module once (the "init" of a cold start), invokes the
 * handler a few times as API Gateway would, and prints the results, the TLS handshakes the
 * gateway saw and the secret reads.
 *
 *   pnpm exec tsc -b examples/lambda-consumer && node examples/lambda-consumer/dist/main.js
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { localAwsCredentials, localAwsRegion, startLocalProducer } from '@mtls-link/testkit';
import { HANDLER_ENV } from './handler-config.ts';
import { localContext, proxyEvent } from './local-invoke.ts';

export async function runLambdaExample(print: (line: string) => void = console.log): Promise<void> {
  const producer = await startLocalProducer();
  try {
    Object.assign(process.env, {
      [HANDLER_ENV.apiUrl]: producer.gateway.url,
      [HANDLER_ENV.secretId]: producer.secretId,
      // In AWS this is usually a file in the bundle; PEM text works too.
      [HANDLER_ENV.apiCa]: producer.pki.root.certPem,
      // What the Lambda runtime provides; the AWS SDK inside fromSecretsManager reads them.
      AWS_ACCESS_KEY_ID: localAwsCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localAwsCredentials.secretAccessKey,
      AWS_REGION: localAwsRegion,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: producer.secrets.endpoint,
    });
    const { handler } = await import('./handler.ts');
    print(`function initialised; producer API ${producer.gateway.url} (mTLS verify)`);

    const invocations = [
      proxyEvent('GET', '/widgets/1', { pathParameters: { id: '1' } }),
      proxyEvent('GET', '/widgets/2', { pathParameters: { id: '2' } }),
      proxyEvent('GET', '/widgets/42', { pathParameters: { id: '42' } }),
      proxyEvent('POST', '/widgets', { body: { value: '3.10' } }),
    ];
    for (const event of invocations) {
      // Between invocations the runtime fetches the next event from the Runtime API; back to back in
      // the same tick, undici would not yet have released the previous call's connection.
      await sleep(5);
      const result = await handler(event, localContext());
      print(`${event.httpMethod} ${event.path} -> ${result.statusCode} ${result.body}`);
    }
    const reads = producer.secrets.calls.filter((call) => call.op === 'GetSecretValue').length;
    print(
      `${invocations.length} invocations: ${producer.gateway.handshakes()} TLS handshake(s) at the gateway, ` +
        `${reads} GetSecretValue call(s)`,
    );
  } finally {
    await producer.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runLambdaExample();
}
