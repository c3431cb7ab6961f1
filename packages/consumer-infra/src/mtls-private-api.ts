import { Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as elbTargets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { type ApiRoute, addApiRoutes } from './api-routes.ts';
import { ConsumerInfraError } from './errors.ts';
import { ExampleBackend } from './example-backend.ts';
import { managedPolicyFinding } from './nag-findings.ts';
import { vpcCidr } from './vpc-cidr.ts';

/** The ALB's plain health-check listener (the NLB's checks carry no client certificate). */
const HEALTH_PORT = 8080;

export interface TrustStoreSource {
  /** The bucket holding the CA bundle and the CRLs; the objects must exist before deployment. */
  readonly bucket: s3.IBucket;
  /** Key of the PEM CA bundle (root and intermediates the client certificates chain to). */
  readonly caBundleKey: string;
  /** Keys of DER or PEM CRLs the listener applies. @default none */
  readonly crlKeys?: string[];
  /**
   * S3 object version of the CA bundle (`aws s3api head-object … --query VersionId`). The load
   * balancer reads the object when the trust store is created or modified, never again on its own:
   * pass the new version after uploading a new bundle, so the template changes and CloudFormation
   * updates the trust store. Needs a versioned bucket. @default the latest version at creation
   */
  readonly caBundleVersion?: string;
  /**
   * S3 object versions of the CRLs, by key (each key must be in `crlKeys`). As for the bundle: a CRL
   * overwritten under the same key takes effect only when its new version is deployed here.
   * @default the latest version of each at creation
   */
  readonly crlVersions?: Readonly<Record<string, string>>;
}

export interface MtlsPrivateApiProps {
  /** The producer VPC: the ALB, the NLB and the execute-api endpoint live in its private subnets. */
  readonly vpc: ec2.IVpc;
  /** @default the VPC's private subnets (with egress if any, else isolated) */
  readonly subnets?: ec2.SubnetSelection;
  /** The API's name as consumers call it, e.g. `api.example.com`. */
  readonly domainName: string;
  /** ACM certificate ARN for `domainName`: used by the ALB listener and the private custom domain. */
  readonly certificateArn: string;
  readonly trustStore: TrustStoreSource;
  /** Principals (account roots, roles) allowed to create endpoints to the service. */
  readonly allowedPrincipals: string[];
  /** @default true: every endpoint connection waits for the producer's acceptance */
  readonly acceptanceRequired?: boolean;
  /**
   * Private DNS name of the endpoint service (verified by a TXT record in the public zone).
   * @default domainName
   */
  readonly endpointServicePrivateDnsName?: string;
  /** @default false */
  readonly ignoreClientCertificateExpiry?: boolean;
  /** TLS policy of the mTLS listener. @default elbv2.SslPolicy.RECOMMENDED_TLS */
  readonly sslPolicy?: elbv2.SslPolicy;
  /** @default a new ExampleBackend (without `/echo`) */
  readonly backend?: lambda.IFunction;
  /**
   * The API's routes, each proxied to `backend`. Required with `backend`.
   * @default the example backend's routes (GET/POST /widgets, GET /widgets/{id})
   */
  readonly routes?: readonly ApiRoute[];
  /**
   * An authorizer for every method (a Lambda authorizer reading the `x-amzn-mtls-clientcert-*`
   * headers the ALB adds, say). @default none: the client certificate at the ALB is the authentication
   */
  readonly authorizer?: apigateway.IAuthorizer;
  /**
   * Create the API Gateway CloudWatch role and make it the account's (`AWS::ApiGateway::Account`).
   * That setting is account-wide and region-wide: another stack or a platform team may already own
   * it. Stage execution logging needs some such role in the account. @default false
   */
  readonly cloudWatchRole?: boolean;
  /**
   * Regions whose consumers may connect to the endpoint service (cross-region PrivateLink).
   * @default only this stack's region
   */
  readonly allowedRegions?: string[];
  /** @default 'v1' */
  readonly stageName?: string;
  /** Bucket for the ALB access and connection logs (SSE-S3). @default a new bucket (versioned, noncurrent versions expire after 30 days) */
  readonly logBucket?: s3.IBucket;
}

/**
 * The producer's side of the pattern: a private REST API reachable only through its execute-api VPC
 * endpoint, fronted by an internal ALB in mTLS verify mode, fronted by an NLB that a PrivateLink
 * endpoint service exposes to the allowed consumer accounts.
 */
export class MtlsPrivateApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly executeApiEndpoint: ec2.InterfaceVpcEndpoint;
  /** The execute-api endpoint's policy: `execute-api:Invoke` on this API and its domain name only. */
  readonly executeApiEndpointPolicy: iam.PolicyDocument;
  readonly domainName: apigateway.CfnDomainNameV2;
  readonly trustStore: elbv2.TrustStore;
  readonly trustStoreRevocation: elbv2.TrustStoreRevocation | undefined;
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly nlb: elbv2.NetworkLoadBalancer;
  readonly endpointService: ec2.VpcEndpointService;
  readonly endpointServiceName: string;
  readonly logBucket: s3.IBucket;
  readonly backend: lambda.IFunction;
  /** The custom resource that reads the execute-api endpoint's private addresses (ALB targets). */
  readonly endpointAddresses: cr.AwsCustomResource;
  /** The custom resource that reads the TXT record verifying the endpoint service's private DNS name. */
  readonly privateDnsVerification: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: MtlsPrivateApiProps) {
    super(scope, id);
    if (props.allowedPrincipals.length === 0) {
      throw new ConsumerInfraError(
        'PROPS_INVALID',
        'allowedPrincipals must name at least one consumer principal',
        {
          field: 'allowedPrincipals',
        },
      );
    }
    if (props.backend !== undefined && props.routes === undefined) {
      throw new ConsumerInfraError('PROPS_INVALID', 'routes are required with a backend of your own', {
        field: 'routes',
      });
    }
    const crlKeys = props.trustStore.crlKeys ?? [];
    for (const key of Object.keys(props.trustStore.crlVersions ?? {})) {
      if (!crlKeys.includes(key)) {
        throw new ConsumerInfraError('PROPS_INVALID', `crlVersions names "${key}", which is not in crlKeys`, {
          field: 'trustStore.crlVersions',
        });
      }
    }
    const stack = Stack.of(this);
    const subnets: ec2.SubnetSelection = {
      ...(props.subnets ?? {}),
      onePerAz: true,
    };
    const azCount = props.vpc.selectSubnets(subnets).subnets.length;
    if (azCount < 2) {
      throw new ConsumerInfraError(
        'PROPS_INVALID',
        `the load balancers need subnets in at least two AZs, found ${azCount}`,
        {
          field: 'subnets',
        },
      );
    }

    // --- Load balancer security groups: NLB -> ALB -> execute-api endpoint, 443 only.
    const nlbSecurityGroup = new ec2.SecurityGroup(this, 'NlbSecurityGroup', {
      vpc: props.vpc,
      description: 'NLB in front of the mTLS ALB: TCP 443 from the VPC',
      allowAllOutbound: false,
    });
    nlbSecurityGroup.addIngressRule(ec2.Peer.ipv4(vpcCidr(props.vpc)), ec2.Port.tcp(443), 'TLS from the VPC');
    const albSecurityGroup = new ec2.SecurityGroup(this, 'AlbSecurityGroup', {
      vpc: props.vpc,
      description: 'mTLS ALB: TCP 443 from the NLB only',
      allowAllOutbound: false,
    });
    albSecurityGroup.addIngressRule(nlbSecurityGroup, ec2.Port.tcp(443), 'TLS from the NLB');
    nlbSecurityGroup.addEgressRule(albSecurityGroup, ec2.Port.tcp(443), 'TLS to the ALB');
    albSecurityGroup.addIngressRule(
      nlbSecurityGroup,
      ec2.Port.tcp(HEALTH_PORT),
      'Health checks from the NLB',
    );
    nlbSecurityGroup.addEgressRule(albSecurityGroup, ec2.Port.tcp(HEALTH_PORT), 'Health checks to the ALB');
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'ExecuteApiEndpointSecurityGroup', {
      vpc: props.vpc,
      description: 'execute-api endpoint: HTTPS from the ALB only',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(albSecurityGroup, ec2.Port.tcp(443), 'HTTPS from the ALB');
    albSecurityGroup.addEgressRule(
      endpointSecurityGroup,
      ec2.Port.tcp(443),
      'HTTPS to the execute-api endpoint',
    );

    // --- Private REST API, reachable only through this endpoint.
    this.executeApiEndpoint = new ec2.InterfaceVpcEndpoint(this, 'ExecuteApiEndpoint', {
      vpc: props.vpc,
      service: ec2.InterfaceVpcEndpointAwsService.APIGATEWAY,
      subnets,
      securityGroups: [endpointSecurityGroup],
      open: false,
      // The ALB reaches the endpoint by address; private DNS would also capture every other
      // execute-api name in this VPC.
      privateDnsEnabled: false,
    });
    const endpointId = this.executeApiEndpoint.vpcEndpointId;
    const onlyThroughEndpoint = (resource: string) =>
      new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            effect: iam.Effect.ALLOW,
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: [resource],
          }),
          new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: [resource],
            conditions: { StringNotEquals: { 'aws:SourceVpce': endpointId } },
          }),
        ],
      });

    let routes = props.routes;
    if (props.backend === undefined) {
      const example = new ExampleBackend(this, 'Backend');
      this.backend = example.function;
      routes ??= example.routes;
    } else {
      this.backend = props.backend;
    }
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'Private API behind mTLS (ALB verify) and PrivateLink',
      endpointConfiguration: {
        types: [apigateway.EndpointType.PRIVATE],
        vpcEndpoints: [this.executeApiEndpoint],
      },
      policy: onlyThroughEndpoint('execute-api:/*'),
      cloudWatchRole: props.cloudWatchRole ?? false,
      ...(props.cloudWatchRole === true ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.INFO,
        metricsEnabled: true,
      },
    });
    const validator = new apigateway.RequestValidator(this, 'RequestValidator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    addApiRoutes(this.api, routes ?? [], new apigateway.LambdaIntegration(this.backend), {
      requestValidator: validator,
      ...(props.authorizer === undefined ? {} : { authorizer: props.authorizer }),
    });
    if (props.authorizer === undefined) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Callers are authenticated by their X.509 client certificate at the ALB (mTLS verify against ' +
          'the trust store and CRLs); the resource policy admits only requests arriving through that ALB ' +
          'path (the execute-api VPC endpoint). Pass an authorizer to add per-route authorization.',
      });
    }
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Machine-to-machine API authenticated by mTLS client certificates; there are no Cognito users.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'The API has no public path: it is reachable only via PrivateLink, the mTLS ALB and its own ' +
          'VPC endpoint (enforced by the resource policy). Attach a web ACL to the stage if the backend ' +
          'needs request-content filtering.',
      },
    );
    if (props.cloudWatchRole === true) {
      Validations.of(this.api).acknowledge({
        id: managedPolicyFinding('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
        reason:
          'The account-level role API Gateway uses to write execution logs (needed for the stage logging ' +
          'that APIG6 asks for); AWS maintains this policy for exactly that service role.',
      });
    }

    // --- Private custom domain: the ALB forwards the caller's Host (the API's name) unchanged.
    this.domainName = new apigateway.CfnDomainNameV2(this, 'DomainName', {
      domainName: props.domainName,
      certificateArn: props.certificateArn,
      endpointConfiguration: { types: ['PRIVATE'] },
      securityPolicy: 'TLS_1_2',
      policy: onlyThroughEndpoint('execute-api:/*').toJSON(),
    });
    new apigateway.CfnBasePathMappingV2(this, 'BasePathMapping', {
      domainNameArn: this.domainName.attrDomainNameArn,
      restApiId: this.api.restApiId,
      stage: this.api.deploymentStage.stageName,
    });
    new apigateway.CfnDomainNameAccessAssociation(this, 'DomainNameAccess', {
      domainNameArn: this.domainName.attrDomainNameArn,
      accessAssociationSource: endpointId,
      accessAssociationSourceType: 'VPCE',
    });

    // Log group of the AwsCustomResource provider function the custom resources below share.
    const endpointAddressLogs = new logs.LogGroup(this, 'EndpointAddressesLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // --- The endpoint reaches this API and its domain name only: the ALB admits any certificate the CA
    // issued, and without this a caller could name another private API of the account behind it. The
    // API's policy names the endpoint, so the endpoint's own policy cannot name the API in the same
    // template (a cycle): it is set once both exist.
    const executeApiArn = (resource: string) =>
      Fn.join('', ['arn:', Aws.PARTITION, ':execute-api:', Aws.REGION, ':', Aws.ACCOUNT_ID, ':', resource]);
    this.executeApiEndpointPolicy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'InvokeThisApiOnly',
          principals: [new iam.AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: [
            executeApiArn(Fn.join('', [this.api.restApiId, '/*'])),
            // The DomainNameV2 ARN ends in `/domainnames/<name>+<id>`; the endpoint policy names it as execute-api.
            executeApiArn(
              Fn.join('', [
                '/domainnames/',
                Fn.select(1, Fn.split('/domainnames/', this.domainName.attrDomainNameArn)),
              ]),
            ),
          ],
        }),
      ],
    });
    const endpointArn = stack.formatArn({
      service: 'ec2',
      resource: 'vpc-endpoint',
      resourceName: endpointId,
    });
    new cr.AwsCustomResource(this, 'ExecuteApiEndpointPolicy', {
      onUpdate: {
        service: 'EC2',
        action: 'ModifyVpcEndpoint',
        parameters: {
          VpcEndpointId: endpointId,
          PolicyDocument: stack.toJsonString(this.executeApiEndpointPolicy.toJSON()),
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${endpointId}-policy`),
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['ec2:ModifyVpcEndpoint'], resources: [endpointArn] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: endpointAddressLogs,
    });

    // --- The execute-api endpoint's private addresses, one per AZ, as the ALB's targets.
    this.endpointAddresses = new cr.AwsCustomResource(this, 'ExecuteApiEndpointAddresses', {
      onUpdate: {
        service: 'EC2',
        action: 'DescribeNetworkInterfaces',
        // One token per ENI: a whole list token would need CDK's JSON-stringify custom resource.
        parameters: {
          NetworkInterfaceIds: Array.from({ length: azCount }, (_, i) =>
            Fn.select(i, this.executeApiEndpoint.vpcEndpointNetworkInterfaceIds),
          ),
        },
        physicalResourceId: cr.PhysicalResourceId.of(endpointId),
        outputPaths: Array.from({ length: azCount }, (_, i) => `NetworkInterfaces.${i}.PrivateIpAddress`),
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['ec2:DescribeNetworkInterfaces'], resources: ['*'] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: endpointAddressLogs,
    });
    Validations.of(this.endpointAddresses).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeNetworkInterfaces supports no resource-level permissions; the call is read-only ' +
        'and limited to the execute-api endpoint ENI ids in its parameters.',
    });
    const provider = stack.node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (provider !== undefined) {
      Validations.of(provider).acknowledge({
        id: managedPolicyFinding('service-role/AWSLambdaBasicExecutionRole'),
        reason:
          'CDK-managed provider function of AwsCustomResource: the AWS managed policy grants only ' +
          'CloudWatch Logs writes, which every Lambda function needs.',
      });
    }
    const targetGroup = new elbv2.ApplicationTargetGroup(this, 'ExecuteApiTargets', {
      vpc: props.vpc,
      targetType: elbv2.TargetType.IP,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      port: 443,
      targets: Array.from(
        { length: azCount },
        (_, i) =>
          new elbTargets.IpTarget(
            this.endpointAddresses.getResponseField(`NetworkInterfaces.${i}.PrivateIpAddress`),
          ),
      ),
      healthCheck: {
        protocol: elbv2.Protocol.HTTPS,
        path: '/',
        // API Gateway answers an addressed-by-IP request with 403: the endpoint is up.
        healthyHttpCodes: '200-403',
        interval: Duration.seconds(30),
      },
    });

    // --- Logs for the ALB (and whatever else the caller's bucket gets).
    this.logBucket =
      props.logBucket ??
      new s3.Bucket(this, 'LoadBalancerLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
    if (props.logBucket === undefined) {
      Validations.of(this.logBucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'This bucket is the access-log destination of the load balancers; logging its own reads would ' +
          'need another bucket whose own access logs raise the same finding. Writes come only from the ' +
          'ELB log delivery principals, and objects are versioned.',
      });
    }

    // --- The ALB in mTLS verify mode. With object versions, a new bundle or CRL changes the template.
    this.trustStore = new elbv2.TrustStore(this, 'TrustStore', {
      bucket: props.trustStore.bucket,
      key: props.trustStore.caBundleKey,
      ...(props.trustStore.caBundleVersion === undefined
        ? {}
        : { version: props.trustStore.caBundleVersion }),
    });
    const crlVersions = props.trustStore.crlVersions ?? {};
    this.trustStoreRevocation =
      crlKeys.length === 0
        ? undefined
        : new elbv2.TrustStoreRevocation(this, 'TrustStoreRevocation', {
            trustStore: this.trustStore,
            revocationContents: crlKeys.map((key) => ({
              revocationType: elbv2.RevocationType.CRL,
              bucket: props.trustStore.bucket,
              key,
              ...(crlVersions[key] === undefined ? {} : { version: crlVersions[key] }),
            })),
          });
    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      vpcSubnets: subnets,
      internetFacing: false,
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
    });
    this.alb.logAccessLogs(this.logBucket, 'alb-access');
    this.alb.logConnectionLogs(this.logBucket, 'alb-connection');
    this.listener = this.alb.addListener('Https', {
      protocol: elbv2.ApplicationProtocol.HTTPS,
      port: 443,
      open: false,
      certificates: [acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)],
      sslPolicy: props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
      mutualAuthentication: {
        mutualAuthenticationMode: elbv2.MutualAuthenticationMode.VERIFY,
        trustStore: this.trustStore,
        ignoreClientCertificateExpiry: props.ignoreClientCertificateExpiry ?? false,
      },
      // Only the API's own name is forwarded (the rules below); any other Host, an execute-api name of
      // another private API say, gets a 404 from the ALB and never reaches the endpoint.
      defaultAction: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'application/json',
        messageBody: '{"message":"not found"}',
      }),
    });
    // API Gateway routes a request carrying x-apigw-api-id to that API whatever the Host: refuse it.
    this.listener.addAction('RefuseApiIdHeader', {
      priority: 1,
      conditions: [elbv2.ListenerCondition.httpHeader('x-apigw-api-id', ['*'])],
      action: elbv2.ListenerAction.fixedResponse(403, {
        contentType: 'application/json',
        messageBody: '{"message":"x-apigw-api-id is not accepted here"}',
      }),
    });
    this.listener.addAction('ForwardApiDomain', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.hostHeaders([props.domainName])],
      action: elbv2.ListenerAction.forward([targetGroup]),
    });
    // The NLB's health checks present no client certificate, so the mTLS listener would refuse them
    // and mark the ALB unhealthy. They go to a plain listener that answers 200 and reaches nothing;
    // the NLB forwards only 443, so consumers cannot reach it.
    this.alb.addListener('Health', {
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: HEALTH_PORT,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(200, {
        contentType: 'text/plain',
        messageBody: 'ok',
      }),
    });
    if (this.trustStoreRevocation !== undefined) {
      this.listener.node.addDependency(this.trustStoreRevocation);
    }

    // --- The NLB that PrivateLink needs, passing TCP through to the ALB (ALB-type target group).
    this.nlb = new elbv2.NetworkLoadBalancer(this, 'Nlb', {
      vpc: props.vpc,
      vpcSubnets: subnets,
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [nlbSecurityGroup],
      // PrivateLink traffic is already limited by allowed principals and acceptance; evaluating the
      // NLB's inbound rules against it would need every consumer CIDR here.
      enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: false,
    });
    Validations.of(this.nlb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'The NLB has only a TCP listener, and NLB access logs are written for TLS listeners only: enabling ' +
        'them would log nothing. Every connection and request is logged one hop later by the ALB ' +
        '(connection log with the client-certificate verdict, access log), and the VPC flow logs cover ' +
        "the NLB's interfaces.",
    });
    this.nlb.addListener('Tcp', {
      port: 443,
      protocol: elbv2.Protocol.TCP,
      defaultTargetGroups: [
        new elbv2.NetworkTargetGroup(this, 'AlbTarget', {
          vpc: props.vpc,
          targetType: elbv2.TargetType.ALB,
          port: 443,
          protocol: elbv2.Protocol.TCP,
          targets: [new elbTargets.AlbListenerTarget(this.listener)],
          healthCheck: {
            protocol: elbv2.Protocol.HTTP,
            port: String(HEALTH_PORT),
            path: '/',
            healthyHttpCodes: '200',
          },
        }),
      ],
    });

    // --- The endpoint service consumers connect to.
    this.endpointService = new ec2.VpcEndpointService(this, 'EndpointService', {
      vpcEndpointServiceLoadBalancers: [this.nlb],
      acceptanceRequired: props.acceptanceRequired ?? true,
      allowedPrincipals: props.allowedPrincipals.map((arn) => new iam.ArnPrincipal(arn)),
      ...(props.allowedRegions === undefined ? {} : { allowedRegions: props.allowedRegions }),
    });
    const privateDnsName = props.endpointServicePrivateDnsName ?? props.domainName;
    // The L2 has no prop for it and names its L1 child after itself, so defaultChild misses it.
    const cfnService = this.endpointService.node.children.find((c) => c instanceof ec2.CfnVPCEndpointService);
    if (cfnService instanceof ec2.CfnVPCEndpointService) cfnService.privateDnsName = privateDnsName;
    this.endpointServiceName = `com.amazonaws.vpce.${stack.region}.${this.endpointService.vpcEndpointServiceId}`;

    new CfnOutput(this, 'EndpointServiceName', {
      description: 'Give this to the consumer (context key endpointServiceName)',
      value: this.endpointServiceName,
    });
    // CloudFormation returns no attribute for the verification record: read it from the service.
    this.privateDnsVerification = new cr.AwsCustomResource(this, 'PrivateDnsVerificationRecord', {
      onUpdate: {
        service: 'EC2',
        action: 'DescribeVpcEndpointServiceConfigurations',
        parameters: { ServiceIds: [this.endpointService.vpcEndpointServiceId] },
        physicalResourceId: cr.PhysicalResourceId.of(this.endpointService.vpcEndpointServiceId),
        outputPaths: [
          'ServiceConfigurations.0.PrivateDnsNameConfiguration.Name',
          'ServiceConfigurations.0.PrivateDnsNameConfiguration.Value',
        ],
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['ec2:DescribeVpcEndpointServiceConfigurations'],
          resources: ['*'],
        }),
      ]),
      installLatestAwsSdk: false,
      logGroup: endpointAddressLogs,
    });
    Validations.of(this.privateDnsVerification).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeVpcEndpointServiceConfigurations supports no resource-level permissions; the call is ' +
        "read-only and limited to this endpoint service's id in its parameters.",
    });

    new CfnOutput(this, 'EndpointServicePrivateDnsName', { value: privateDnsName });
    new CfnOutput(this, 'PrivateDnsVerificationTxtRecord', {
      description:
        'Publish this TXT record in the public zone of the private DNS name, then start the verification',
      value: Fn.join(' ', [
        this.privateDnsVerification.getResponseField(
          'ServiceConfigurations.0.PrivateDnsNameConfiguration.Name',
        ),
        'TXT',
        this.privateDnsVerification.getResponseField(
          'ServiceConfigurations.0.PrivateDnsNameConfiguration.Value',
        ),
      ]),
    });
    new CfnOutput(this, 'TrustStoreArn', { value: this.trustStore.trustStoreArn });
    new CfnOutput(this, 'RestApiId', { value: this.api.restApiId });
  }
}
