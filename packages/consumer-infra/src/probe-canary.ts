import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { bundleCanaryOnce } from './canary-bundle.ts';
import { CANARY_ENVIRONMENT } from './canary-environment.ts';
import { CANARY_METRICS } from './canary-metrics.ts';
import { subnetAvailabilityZone, zonalEndpointDnsName } from './endpoint-dns.ts';
import { ConsumerInfraError } from './errors.ts';
import { httpsOutSecurityGroup, vpcFunctionRole } from './vpc-function.ts';

export interface CrlLocation {
  /** Bucket name (may be in another account; its bucket policy must then admit the canary role). */
  readonly bucketName: string;
  readonly key: string;
}

export interface ProbeCanaryProps {
  readonly vpc: ec2.IVpc;
  /** The URL the canary requests, e.g. `https://api.example.com/widgets`. */
  readonly url: string;
  readonly secret: secretsmanager.ISecret;
  /** ARN of the CMK the secret is encrypted with (kms:Decrypt is granted on it alone). */
  readonly secretKeyArn: string;
  /** The CRL the canary checks the client certificate against. @default none */
  readonly crl?: CrlLocation;
  /** @default 200 */
  readonly expectStatus?: number;
  /**
   * Subnets the canary runs in.
   * @default the VPC's private subnets (with egress if any, else isolated)
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * One function per AZ, each pinned to one subnet, so an AZ whose endpoint interface fails shows
   * up alone. @default false (one function across the selected subnets)
   */
  readonly perAz?: boolean;
  /** @default Duration.minutes(5) */
  readonly schedule?: Duration;
  /** @default 'mtls-link-canary' (suffixed with the AZ when perAz) */
  readonly canaryName?: string;
  /** Alarm when either certificate has fewer days left than this. @default 30 */
  readonly expiryWarningDays?: number;
  /** Actions for every alarm (an SNS topic, say). @default none */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
  /**
   * Pre-built code for the canary. Tests and apps with several stacks pass one bundle around.
   * @default the probe's canary handler bundled with esbuild at synth time
   */
  readonly code?: lambda.Code;
  /**
   * Module exporting the canary `handler`, bundled at synth when `code` is not given.
   * @default DEFAULT_CANARY_ENTRY (the probe's canary handler)
   */
  readonly entry?: string;
  /** @default lambda.Runtime.NODEJS_24_X */
  readonly runtime?: lambda.Runtime;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /**
   * How long each of the probe's requests waits for the answer. A run sends up to three in a row
   * (without, with and, given a revoked certificate, with that one), so keep three of these well
   * inside `timeout`; a refusal the ALB holds back (10-30 s) is reported as unconfirmed at this
   * deadline rather than cut off by Lambda.
   * @default Duration.seconds(15)
   */
  readonly responseTimeout?: Duration;
  /** `host:port` to dial instead of the URL's host; SNI and Host stay the URL's. @default the URL's host */
  readonly connectTo?: string;
  /**
   * With `perAz`, each canary dials this endpoint's zonal DNS name in its own AZ (port 443; SNI and
   * Host stay the URL's), so an AZ whose interface fails fails its own canary and alarm only. The
   * API's name resolves to every AZ's interface, which would spread one AZ's failure over all
   * canaries. Takes precedence over `connectTo` for the per-AZ functions; the canary subnets must be
   * in the endpoint's AZs. @default none: every canary dials `connectTo` or the URL's host
   */
  readonly zonalEndpoint?: ec2.InterfaceVpcEndpoint;
}

export interface CanaryInstance {
  readonly name: string;
  readonly availabilityZone: string | undefined;
  readonly function: lambda.Function;
  /** What this canary dials instead of the URL's host (`MTLS_PROBE_CONNECT_TO`), if anything. */
  readonly connectTo: string | undefined;
}

/**
 * The probe's canary handler as scheduled Lambda functions inside the consumer VPC, with alarms on
 * failed checks, on silence, and on certificate expiry, and a small dashboard.
 */
export class ProbeCanary extends Construct {
  readonly canaries: CanaryInstance[];
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  readonly failureAlarms: cloudwatch.Alarm[];
  readonly silenceAlarms: cloudwatch.Alarm[];
  readonly clientExpiryAlarm: cloudwatch.Alarm;
  readonly serverExpiryAlarm: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ProbeCanaryProps) {
    super(scope, id);
    const schedule = props.schedule ?? Duration.minutes(5);
    if (schedule.toSeconds() < 60) {
      throw new ConsumerInfraError('PROPS_INVALID', 'schedule must be at least one minute', {
        field: 'schedule',
      });
    }
    const baseName = props.canaryName ?? 'mtls-link-canary';
    const stack = Stack.of(this);

    this.securityGroup = httpsOutSecurityGroup(
      this,
      props.vpc,
      'Probe canary: HTTPS out only (the private API and the AWS service endpoints)',
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = vpcFunctionRole(
      this,
      'Probe canary: read one secret and one CRL object, write its own logs',
      'The canary must run inside the consumer VPC to test the PrivateLink path; this AWS managed policy ' +
        'holds exactly the ENI management and log-writing actions Lambda needs for that (ENI actions ' +
        'support no resource-level restriction). Data access is granted separately, per resource.',
    );
    // Explicit statements rather than secret.grantRead(): the canary needs GetSecretValue and nothing else.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.secret.secretArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [props.secretKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
      }),
    );
    if (props.crl !== undefined) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [
            stack.formatArn({
              service: 's3',
              region: '',
              account: '',
              resource: props.crl.bucketName,
              resourceName: props.crl.key,
            }),
          ],
        }),
      );
    }

    const code = props.code ?? lambda.Code.fromAsset(bundleCanaryOnce(props.entry).dir);
    const subnetSelection = props.subnets ?? {};
    const placements: {
      name: string;
      availabilityZone: string | undefined;
      subnets: ec2.SubnetSelection;
      connectTo: string | undefined;
    }[] = [];
    if (props.perAz ?? false) {
      let selected: ec2.SelectedSubnets;
      try {
        selected = props.vpc.selectSubnets({ ...subnetSelection, onePerAz: true });
      } catch (cause) {
        throw new ConsumerInfraError(
          'PROPS_INVALID',
          'the canary subnet selection matches no subnets of the VPC',
          {
            field: 'subnets',
            cause,
          },
        );
      }
      if (selected.subnets.length === 0) {
        throw new ConsumerInfraError('PROPS_INVALID', 'no subnets match the canary subnet selection', {
          field: 'subnets',
        });
      }
      for (const subnet of selected.subnets) {
        placements.push({
          name: `${baseName}-${subnet.availabilityZone}`,
          availabilityZone: subnet.availabilityZone,
          subnets: { subnets: [subnet] },
          connectTo:
            props.zonalEndpoint === undefined
              ? props.connectTo
              : `${zonalEndpointDnsName(props.zonalEndpoint, subnetAvailabilityZone(subnet))}:443`,
        });
      }
    } else {
      placements.push({
        name: baseName,
        availabilityZone: undefined,
        subnets: subnetSelection,
        connectTo: props.connectTo,
      });
    }

    this.canaries = placements.map((placement, index) => {
      const environment: Record<string, string> = {
        [CANARY_ENVIRONMENT.url]: props.url,
        [CANARY_ENVIRONMENT.secretId]: props.secret.secretArn,
        [CANARY_ENVIRONMENT.expectStatus]: String(props.expectStatus ?? 200),
        [CANARY_ENVIRONMENT.metricsNamespace]: CANARY_METRICS.namespace,
        [CANARY_ENVIRONMENT.serviceName]: placement.name,
      };
      if (props.crl !== undefined) {
        environment[CANARY_ENVIRONMENT.crl] = `s3://${props.crl.bucketName}/${props.crl.key}`;
      }
      if (placement.connectTo !== undefined) {
        environment[CANARY_ENVIRONMENT.connectTo] = placement.connectTo;
      }
      environment[CANARY_ENVIRONMENT.responseTimeoutMs] = String(
        (props.responseTimeout ?? Duration.seconds(15)).toMilliseconds(),
      );
      if (placement.availabilityZone !== undefined) {
        environment[CANARY_ENVIRONMENT.availabilityZone] = placement.availabilityZone;
      }
      const fn = new lambda.Function(this, `Function${index}`, {
        description: `mTLS probe canary for ${props.url}${placement.availabilityZone ? ` from ${placement.availabilityZone}` : ''}`,
        runtime: props.runtime ?? lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code,
        memorySize: props.memorySize ?? 512,
        timeout: props.timeout ?? Duration.seconds(60),
        role: this.role,
        vpc: props.vpc,
        vpcSubnets: placement.subnets,
        securityGroups: [this.securityGroup],
        logGroup: this.logGroup,
        environment,
        // The schedule already runs it again; Lambda's own two async retries would only blur the
        // one-sample-per-period metrics the alarms read.
        retryAttempts: 0,
      });
      new events.Rule(this, `Schedule${index}`, {
        description: `Runs ${placement.name}`,
        schedule: events.Schedule.rate(schedule),
        targets: [new eventTargets.LambdaFunction(fn, { retryAttempts: 0 })],
      });
      return {
        name: placement.name,
        availabilityZone: placement.availabilityZone,
        function: fn,
        connectTo: placement.connectTo,
      };
    });

    const metric = (name: string, canary: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: CANARY_METRICS.namespace,
        metricName: name,
        dimensionsMap: { [CANARY_METRICS.dimensions.canary]: canary },
        statistic,
        period: schedule,
      });
    const withActions = (alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(...(props.alarmActions ?? []));
      return alarm;
    };

    this.failureAlarms = this.canaries.map((canary, index) =>
      withActions(
        new cloudwatch.Alarm(this, `CheckFailedAlarm${index}`, {
          alarmDescription: `A check of ${canary.name} failed (see its log for the failed hop and hint)`,
          metric: metric(CANARY_METRICS.metrics.checkFailed, canary.name, 'Sum'),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ),
    );
    // A canary that crashes or never runs writes no CheckFailed at all: silence is its own alarm.
    this.silenceAlarms = this.canaries.map((canary, index) =>
      withActions(
        new cloudwatch.Alarm(this, `SilenceAlarm${index}`, {
          alarmDescription: `${canary.name} reported no result for three schedule periods`,
          metric: metric(CANARY_METRICS.metrics.success, canary.name, 'SampleCount'),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      ),
    );
    const expiryWarningDays = props.expiryWarningDays ?? 30;
    // Both certificates are the same for every AZ: alarm on the lowest value any canary reported.
    const minimumAcrossCanaries = (name: string, idPrefix: string, label: string) => {
      const usingMetrics: Record<string, cloudwatch.IMetric> = {};
      this.canaries.forEach((canary, index) => {
        usingMetrics[`${idPrefix}${index}`] = metric(name, canary.name, 'Minimum');
      });
      return new cloudwatch.MathExpression({
        expression: `MIN([${Object.keys(usingMetrics).join(',')}])`,
        usingMetrics,
        label,
        period: schedule,
      });
    };
    const clientDays = minimumAcrossCanaries(
      CANARY_METRICS.metrics.clientCertDaysToExpiry,
      'client',
      'client certificate days left',
    );
    const serverDays = minimumAcrossCanaries(
      CANARY_METRICS.metrics.serverCertDaysToExpiry,
      'server',
      'server certificate days left',
    );
    this.clientExpiryAlarm = withActions(
      new cloudwatch.Alarm(this, 'ClientCertExpiryAlarm', {
        alarmDescription: `The client certificate in the secret expires in under ${expiryWarningDays} days: rotate it`,
        metric: clientDays,
        threshold: expiryWarningDays,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      }),
    );
    this.serverExpiryAlarm = withActions(
      new cloudwatch.Alarm(this, 'ServerCertExpiryAlarm', {
        alarmDescription: `The API's server certificate expires in under ${expiryWarningDays} days: tell the producer`,
        metric: serverDays,
        threshold: expiryWarningDays,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      }),
    );

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Canary alarms',
            width: 24,
            alarms: [
              ...this.failureAlarms,
              ...this.silenceAlarms,
              this.clientExpiryAlarm,
              this.serverExpiryAlarm,
            ],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Failed checks per run',
            width: 12,
            left: this.canaries.map((c) => metric(CANARY_METRICS.metrics.checkFailed, c.name, 'Sum')),
          }),
          new cloudwatch.GraphWidget({
            title: 'Total latency (ms, p90)',
            width: 12,
            left: this.canaries.map((c) => metric(CANARY_METRICS.metrics.latencyTotal, c.name, 'p90')),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Days to certificate expiry',
            width: 24,
            left: [clientDays, serverDays],
            leftAnnotations: [{ value: expiryWarningDays, label: 'warning', color: cloudwatch.Color.ORANGE }],
          }),
        ],
      ],
    });
  }
}
