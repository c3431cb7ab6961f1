/**
 * What the Lambda runtime hands a handler, built locally: an API Gateway REST (v1) proxy event and
 * a context whose deadline is real. Only for running the function outside Lambda.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

export function proxyEvent(
  method: 'GET' | 'POST',
  path: string,
  opts: { pathParameters?: Record<string, string>; body?: unknown } = {},
): APIGatewayProxyEvent {
  const requestId = randomUUID();
  return {
    httpMethod: method,
    path,
    resource: opts.pathParameters?.['id'] === undefined ? '/widgets' : '/widgets/{id}',
    pathParameters: opts.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    headers: opts.body === undefined ? {} : { 'content-type': 'application/json' },
    multiValueHeaders: {},
    body: opts.body === undefined ? null : JSON.stringify(opts.body),
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      requestId,
      httpMethod: method,
      path: `/prod${path}`,
      stage: 'prod',
      resourcePath: opts.pathParameters?.['id'] === undefined ? '/widgets' : '/widgets/{id}',
    } as APIGatewayProxyEvent['requestContext'],
  };
}

export function localContext(timeoutMs = 10_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'widgets-consumer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:widgets-consumer',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/widgets-consumer',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
