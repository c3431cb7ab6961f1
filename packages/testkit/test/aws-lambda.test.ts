import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type LocalLambda, localAwsClientConfig, startLambda } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rejection } from './aws-fixtures.ts';

let lambda: LocalLambda;
let client: LambdaClient;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = (payload: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(payload)) as unknown;

beforeAll(async () => {
  lambda = await startLambda({
    functions: {
      echo: {
        handler: (event, context) => ({
          event,
          functionName: context.functionName,
          remaining: context.getRemainingTimeInMillis(),
        }),
        timeoutMs: 5000,
      },
      broken: {
        handler: () => {
          throw new TypeError('no such thing');
        },
      },
      slow: { handler: () => new Promise(() => {}), timeoutMs: 200 },
    },
  });
  client = new LambdaClient({ ...localAwsClientConfig(lambda), maxAttempts: 1 });
});

afterAll(async () => {
  client?.destroy();
  await lambda?.close();
});

describe('local Lambda Invoke endpoint, driven by @aws-sdk/client-lambda', () => {
  test('runs the handler with the event and a Lambda context, and answers its result', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: encode({ url: 'https://x' }) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    const result = decode(out.Payload) as { event: unknown; functionName: string; remaining: number };
    expect(result.event).toEqual({ url: 'https://x' });
    expect(result.functionName).toBe('echo');
    expect(result.remaining).toBeGreaterThan(0);
    expect(result.remaining).toBeLessThanOrEqual(5000);
  });

  test('a full function ARN names the function too', async () => {
    const out = await client.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:echo',
        Payload: encode({}),
      }),
    );
    expect((decode(out.Payload) as { functionName: string }).functionName).toBe('echo');
  });

  test('a handler that throws answers FunctionError Unhandled with its error type and message', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'broken', Payload: encode({}) }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toMatchObject({ errorType: 'TypeError', errorMessage: 'no such thing' });
  });

  test('a handler that outlives its timeout answers Sandbox.Timedout, as Lambda does', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'slow', Payload: encode({}) }));
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(lambda.invocations.at(-1)).toMatchObject({ functionName: 'slow', outcome: 'timeout' });
  });

  test('an unknown function is ResourceNotFoundException', async () => {
    const error = await rejection(
      client.send(new InvokeCommand({ FunctionName: 'nope', Payload: encode({}) })),
    );
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toContain('function:nope');
  });

  test('an Event invocation is accepted with 202 and runs in the background', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: encode({ n: 1 }) }),
    );
    expect(out.StatusCode).toBe(202);
  });
});
