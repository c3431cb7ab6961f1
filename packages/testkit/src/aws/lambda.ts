import { randomUUID } from 'node:crypto';
import {
  type EndpointResponse,
  type LocalEndpoint,
  localAccountId,
  localAwsRegion,
  startHttpEndpoint,
} from './http-endpoint.ts';

/** The Lambda context a Node.js handler receives, as far as local functions need it. */
export interface LocalLambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  getRemainingTimeInMillis(): number;
}

export type LocalLambdaHandler = (event: unknown, context: LocalLambdaContext) => unknown;

export interface LocalFunction {
  readonly handler: LocalLambdaHandler;
  /** The function's configured timeout. @default 3000 (Lambda's default, 3 s) */
  readonly timeoutMs?: number;
}

export interface LambdaInvocation {
  readonly functionName: string;
  readonly invocationType: string;
  readonly event: unknown;
  /** How the invocation ended: a result, the handler's error, or Lambda's timeout. */
  readonly outcome: 'result' | 'error' | 'timeout';
}

export interface LocalLambda extends LocalEndpoint {
  /** Every Invoke in arrival order. */
  readonly invocations: LambdaInvocation[];
}

const jsonType = { 'content-type': 'application/json' };

function fault(status: number, code: string, message: string): EndpointResponse {
  return {
    status,
    headers: { ...jsonType, 'x-amzn-errortype': code },
    body: JSON.stringify({ Type: 'User', message }),
  };
}

function unhandled(errorType: string, errorMessage: string): EndpointResponse {
  return {
    status: 200,
    headers: { ...jsonType, 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
    body: JSON.stringify({ errorType, errorMessage, trace: [] }),
  };
}

/**
 * A local AWS Lambda answering the Invoke API (`POST /2015-03-31/functions/NAME/invocations`) for
 * the real `@aws-sdk/client-lambda`, running each function's handler in this process with a Lambda
 * context. Answers as Lambda does: the handler's JSON result; `X-Amz-Function-Error: Unhandled`
 * with `errorType`/`errorMessage` when it throws or outlives its timeout; ResourceNotFoundException
 * for an unknown function; 202 for `Event` invocations.
 */
export async function startLambda(opts: {
  functions: Readonly<Record<string, LocalFunction>>;
}): Promise<LocalLambda> {
  const invocations: LambdaInvocation[] = [];
  const endpoint = await startHttpEndpoint(async (request) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.url.pathname);
    if (request.method !== 'POST' || match?.[1] === undefined) {
      return fault(
        404,
        'UnknownOperationException',
        `no operation for ${request.method} ${request.url.pathname}`,
      );
    }
    const given = decodeURIComponent(match[1]);
    // FunctionName may be a name, a partial or a full ARN.
    const functionName = given.split(':').at(given.startsWith('arn:') ? 6 : 0) ?? given;
    const fn = opts.functions[functionName];
    const arn = `arn:aws:lambda:${localAwsRegion}:${localAccountId}:function:${functionName}`;
    if (fn === undefined) return fault(404, 'ResourceNotFoundException', `Function not found: ${arn}`);
    let event: unknown = null;
    if (request.body.byteLength > 0) {
      try {
        event = JSON.parse(request.body.toString('utf8'));
      } catch {
        return fault(400, 'InvalidRequestContentException', 'Could not parse request body into json');
      }
    }
    const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    const timeoutMs = fn.timeoutMs ?? 3000;
    const deadline = Date.now() + timeoutMs;
    const context: LocalLambdaContext = {
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: arn,
      memoryLimitInMB: '128',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const record = (outcome: LambdaInvocation['outcome']) =>
      invocations.push({ functionName, invocationType, event, outcome });
    const run = Promise.resolve().then(() => fn.handler(event, context));
    if (invocationType === 'Event') {
      run.then(
        () => record('result'),
        () => record('error'),
      );
      return { status: 202, headers: jsonType, body: '' };
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([run, timedOut]);
      if (result === 'timeout') {
        record('timeout');
        return unhandled(
          'Sandbox.Timedout',
          `${context.awsRequestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
        );
      }
      record('result');
      return {
        status: 200,
        headers: { ...jsonType, 'x-amz-executed-version': '$LATEST' },
        body: result === undefined ? 'null' : JSON.stringify(result),
      };
    } catch (error) {
      record('error');
      const e = error instanceof Error ? error : new Error(String(error));
      return unhandled(e.name, e.message);
    } finally {
      clearTimeout(timer);
    }
  });
  return { ...endpoint, invocations };
}
