import { ROTATION_ENV } from '@mtls-link/probe/rotation-names';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { bundleCanaryOnce } from './canary-bundle.ts';
import { ConsumerInfraError } from './errors.ts';
import { httpsOutSecurityGroup, vpcFunctionRole } from './vpc-function.ts';

/** The probe's rotation function, bundled at synth like the canary. */
export const DEFAULT_ROTATION_ENTRY = '@mtls-link/probe/rotation';

const CA_ARN = /^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[A-Za-z0-9-]+$/;
const TEMPLATE_ARN = /^arn:aws[a-z-]*:acm-pca:::template\/[A-Za-z0-9]+\/V\d+$/;

/** What IdentityRotation needs besides the secret it rotates (also the PrivateApiConsumer option). */
export interface IdentityRotationOptions {
  /** The AWS Private CA that issues the client certificates (shared through AWS RAM when the producer owns it). */
  readonly caArn: string;
  /** The live API URL testSecret probes with the new identity before it is promoted. */
  readonly url: string;
  /** Days the certificate is valid. @default 365 */
  readonly validityDays?: number;
  /** How often to rotate; must be shorter than `validityDays`. @default Duration.days(30) */
  readonly schedule?: Duration;
  /** @default arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1 (in the CA's partition) */
  readonly templateArn?: string;
  /** ec-p256 | ec-p384 | rsa-2048 | rsa-4096. @default 'ec-p256' */
  readonly keyType?: 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-4096';
  /** @default the common name of the certificate being replaced */
  readonly commonName?: string;
  /** PEM trusted for the API's server certificate. @default the Lambda runtime's system roots */
  readonly serverCaPem?: string;
  /** `host:port` to dial instead of the URL's host (SNI and Host stay the URL's). @default the URL's host */
  readonly connectTo?: string;
  /** @default 200 */
  readonly expectStatus?: number;
  /**
   * Interface endpoints to create for the function (a VPC without a route out needs both; create
   * none that the VPC already has, as two endpoints with private DNS for one service collide).
   * @default { secretsManager: true, acmPca: true }
   */
  readonly endpoints?: { readonly secretsManager?: boolean; readonly acmPca?: boolean };
  /** @default the VPC's private subnets (with egress if any, else isolated) */
  readonly subnets?: ec2.SubnetSelection;
  /** Rotate once when the stack deploys (bootstraps the first identity). @default false */
  readonly rotateImmediately?: boolean;
  /** Actions for the failed-rotation alarm. @default none */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
  /** Pre-built code (tests pass a stub). @default the probe's rotation handler bundled at synth */
  readonly code?: lambda.Code;
  /** @default Duration.minutes(3) */
  readonly timeout?: Duration;
}

export interface IdentityRotationProps extends IdentityRotationOptions {
  readonly vpc: ec2.IVpc;
  readonly secret: secretsmanager.ISecret;
  /** ARN of the CMK the secret is encrypted with. */
  readonly secretKeyArn: string;
}

/**
 * Rotates the client identity secret with the probe's rotation function: a new key and certificate
 * from AWS Private CA into AWSPENDING, a live probe of the API with it, and only then AWSCURRENT.
 * The function runs in the VPC with least privilege (one CA and template, one secret, one key), and
 * an alarm fires when a rotation fails.
 */
export class IdentityRotation extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  readonly schedule: secretsmanager.CfnRotationSchedule;
  readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: IdentityRotationProps) {
    super(scope, id);
    const validityDays = props.validityDays ?? 365;
    const schedule = props.schedule ?? Duration.days(30);
    const invalid = (field: string, message: string) =>
      new ConsumerInfraError('PROPS_INVALID', `IdentityRotation: ${message}`, { field });
    if (!Number.isInteger(validityDays) || validityDays < 2 || validityDays > 3650) {
      throw invalid(
        'validityDays',
        `validityDays must be a whole number from 2 to 3650, got ${validityDays}`,
      );
    }
    const scheduleDays = schedule.toDays({ integral: false });
    if (!Number.isInteger(scheduleDays) || scheduleDays < 1) {
      throw invalid('schedule', 'schedule must be a whole number of days, at least one');
    }
    if (scheduleDays >= validityDays) {
      throw invalid(
        'schedule',
        `a rotation every ${scheduleDays} days is not shorter than the certificate validity of ${validityDays} days: the certificate would expire before it is replaced`,
      );
    }
    if (!CA_ARN.test(props.caArn)) {
      throw invalid('caArn', `caArn must be a Private CA ARN, got "${props.caArn}"`);
    }
    const partition = props.caArn.split(':')[1] ?? 'aws';
    const templateArn =
      props.templateArn ?? `arn:${partition}:acm-pca:::template/EndEntityClientAuthCertificate/V1`;
    if (!TEMPLATE_ARN.test(templateArn)) {
      throw invalid('templateArn', `templateArn must be a Private CA template ARN, got "${templateArn}"`);
    }
    if (!props.url.startsWith('https://')) throw invalid('url', `url must be https://, got "${props.url}"`);
    const stack = Stack.of(this);

    this.securityGroup = httpsOutSecurityGroup(
      this,
      props.vpc,
      'Identity rotation: HTTPS out only (the private API, Secrets Manager, Private CA)',
    );

    const subnets = props.subnets ?? {};
    const wanted = { secretsManager: true, acmPca: true, ...props.endpoints };
    const services: [string, ec2.InterfaceVpcEndpointAwsService][] = [];
    if (wanted.secretsManager)
      services.push(['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER]);
    if (wanted.acmPca)
      services.push(['AcmPca', ec2.InterfaceVpcEndpointAwsService.PRIVATE_CERTIFICATE_AUTHORITY]);
    const endpoints = services.map(([name, service]) => {
      const endpointSecurityGroup = new ec2.SecurityGroup(this, `${name}EndpointSecurityGroup`, {
        vpc: props.vpc,
        description: `${name} endpoint: HTTPS from the rotation function`,
        allowAllOutbound: false,
      });
      endpointSecurityGroup.addIngressRule(
        this.securityGroup,
        ec2.Port.tcp(443),
        'HTTPS from the rotation function',
      );
      return new ec2.InterfaceVpcEndpoint(this, `${name}Endpoint`, {
        vpc: props.vpc,
        service,
        subnets: { ...subnets, onePerAz: true },
        securityGroups: [endpointSecurityGroup],
        open: false,
        lookupSupportedAzs: false,
      });
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = vpcFunctionRole(
      this,
      'Identity rotation: issue from one CA with one template, rotate one secret',
      'The rotation function must run inside the consumer VPC to test the new certificate over the PrivateLink ' +
        'path; this AWS managed policy holds exactly the ENI and log actions Lambda needs for that (ENI actions ' +
        'support no resource-level restriction). Data access is granted separately, per resource.',
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'IssueWithTheClientAuthTemplateOnly',
        actions: ['acm-pca:IssueCertificate'],
        resources: [props.caArn],
        conditions: { StringEquals: { 'acm-pca:TemplateArn': templateArn } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadIssuedCertificates',
        actions: ['acm-pca:GetCertificate', 'acm-pca:GetCertificateAuthorityCertificate'],
        resources: [props.caArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RotateTheIdentitySecret',
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [props.secret.secretArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'UseTheSecretKeyThroughSecretsManager',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.secretKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
      }),
    );

    const environment: Record<string, string> = {
      [ROTATION_ENV.caArn]: props.caArn,
      [ROTATION_ENV.templateArn]: templateArn,
      [ROTATION_ENV.validityDays]: String(validityDays),
      [ROTATION_ENV.url]: props.url,
      [ROTATION_ENV.keyType]: props.keyType ?? 'ec-p256',
      [ROTATION_ENV.expectStatus]: String(props.expectStatus ?? 200),
    };
    if (props.commonName !== undefined) environment[ROTATION_ENV.commonName] = props.commonName;
    if (props.serverCaPem !== undefined) environment[ROTATION_ENV.ca] = props.serverCaPem;
    if (props.connectTo !== undefined) environment[ROTATION_ENV.connectTo] = props.connectTo;

    this.function = new lambda.Function(this, 'Function', {
      description: `Rotates the mTLS client identity in ${props.secret.secretName} from ${props.caArn}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: props.code ?? lambda.Code.fromAsset(bundleCanaryOnce(DEFAULT_ROTATION_ENTRY).dir),
      memorySize: 512,
      timeout: props.timeout ?? Duration.minutes(3),
      role: this.role,
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: [this.securityGroup],
      logGroup: this.logGroup,
      environment,
    });
    for (const endpoint of endpoints) this.function.node.addDependency(endpoint);
    // Only Secrets Manager, and only for this secret, may invoke it (no confused deputy).
    this.function.addPermission('InvokedBySecretsManager', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      sourceArn: props.secret.secretArn,
      sourceAccount: stack.account,
    });

    this.schedule = new secretsmanager.CfnRotationSchedule(this, 'Schedule', {
      secretId: props.secret.secretArn,
      rotationLambdaArn: this.function.functionArn,
      rotationRules: { scheduleExpression: `rate(${scheduleDays} days)` },
      rotateImmediatelyOnUpdate: props.rotateImmediately ?? false,
    });
    this.schedule.node.addDependency(this.function);

    // Every failed step throws, so Secrets Manager retries and the function reports an error.
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailedRotationAlarm', {
      alarmDescription: `A rotation of ${props.secret.secretName} failed: AWSCURRENT was left alone; see the function's log (one line per step) for the step and code`,
      metric: this.function.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failureAlarm.addAlarmAction(...(props.alarmActions ?? []));
  }
}
