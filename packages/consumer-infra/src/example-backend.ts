import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ApiRoute } from './api-routes.ts';
import { managedPolicyFinding } from './nag-findings.ts';

// The same small widgets API the testkit gateway serves, so the probe and the examples behave the
// same against the emulator and against a deployed producer.
const handlerSource = (echo: boolean) => `
const echo = ${echo};
const widgets = [{ id: '1', value: '4.99' }, { id: '2', value: '12.50' }, { id: '3', value: '0.25' }];
const json = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
exports.handler = async (event) => {
  const mtls = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase().startsWith('x-amzn-mtls-')) mtls[name] = value;
  }
  if (event.resource === '/widgets' && event.httpMethod === 'GET') return json(200, widgets);
  if (event.resource === '/widgets' && event.httpMethod === 'POST') {
    const input = JSON.parse(event.body ?? '{}');
    return json(201, { ...input, id: String(widgets.length + 1) });
  }
  if (event.resource === '/widgets/{id}') {
    const found = widgets.find((w) => w.id === event.pathParameters?.id);
    return found ? json(200, found) : json(404, { message: 'widget not found' });
  }
  if (echo && event.resource === '/echo') {
    return json(200, { method: event.httpMethod, path: event.path, headers: event.headers, body: event.body ?? null, mtls });
  }
  return json(404, { message: 'not found' });
};
`;

export interface ExampleBackendProps {
  /** @default lambda.Runtime.NODEJS_24_X */
  readonly runtime?: lambda.Runtime;
  /**
   * Also serve `ANY /echo`, which answers with the request's headers (the ALB's `x-amzn-mtls-*`
   * client-certificate headers included): a debugging aid, so off unless asked for. @default false
   */
  readonly echo?: boolean;
}

/** The widgets API every example backend serves. */
const WIDGETS_ROUTES: readonly ApiRoute[] = [
  { path: '/widgets', methods: ['GET', 'POST'] },
  { path: '/widgets/{id}', methods: ['GET'] },
];

/**
 * The producer's example backend: a Lambda answering GET/POST /widgets, GET /widgets/{id} and, with
 * `echo`, ANY /echo.
 */
export class ExampleBackend extends Construct {
  readonly function: lambda.Function;
  /** The routes this backend answers: give them to `MtlsPrivateApi` (its default when it creates the backend). */
  readonly routes: readonly ApiRoute[];

  constructor(scope: Construct, id: string, props: ExampleBackendProps = {}) {
    super(scope, id);
    const echo = props.echo ?? false;
    this.routes = echo ? [...WIDGETS_ROUTES, { path: '/echo', methods: ['ANY'] }] : WIDGETS_ROUTES;
    this.function = new lambda.Function(this, 'Function', {
      description: 'mtls-link example backend: the widgets API',
      runtime: props.runtime ?? lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(handlerSource(echo)),
      memorySize: 256,
      timeout: Duration.seconds(10),
      logGroup: new logs.LogGroup(this, 'Logs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    Validations.of(this.function).acknowledge({
      id: managedPolicyFinding('service-role/AWSLambdaBasicExecutionRole'),
      reason:
        'The example backend calls no AWS API; the AWS managed basic execution policy grants only the ' +
        'CloudWatch Logs writes every function needs.',
    });
  }
}
