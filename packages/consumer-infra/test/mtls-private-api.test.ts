import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, test } from 'vitest';
import {
  ExampleBackend,
  isConsumerInfraError,
  MtlsPrivateApi,
  type MtlsPrivateApiProps,
  vpcFromSource,
} from '../src/index.ts';
import {
  availabilityZones,
  certificateArn,
  consumerAccount,
  nagFindings,
  newApp,
  producerAccount,
  region,
} from './fixtures.ts';

type BuildProps = Partial<MtlsPrivateApiProps> & {
  trustStoreVersions?: { caBundleVersion?: string; crlVersions?: Record<string, string> };
};

function build(props: BuildProps = {}) {
  const { trustStoreVersions = {}, ...rest } = props;
  const stack = new Stack(newApp(), 'Producer', { env: { account: producerAccount, region } });
  const vpc = vpcFromSource(stack, 'Vpc', { kind: 'create', cidr: '10.10.0.0/16', availabilityZones });
  const api = new MtlsPrivateApi(stack, 'PrivateApi', {
    vpc,
    domainName: 'api.example.com',
    certificateArn,
    trustStore: {
      bucket: s3.Bucket.fromBucketName(stack, 'TrustBucket', 'producer-trust-store'),
      caBundleKey: 'trust-store/ca-bundle.pem',
      crlKeys: ['trust-store/intermediate.crl', 'trust-store/root.crl'],
      ...trustStoreVersions,
    },
    allowedPrincipals: [`arn:aws:iam::${consumerAccount}:root`],
    ...rest,
  });
  return { stack, api, template: Template.fromStack(stack) };
}

type Statement = {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Condition?: { StringNotEquals?: Record<string, unknown> };
};

/** IAM evaluation for these statements: an explicit deny wins, else an allow is needed. */
function invokeAllowed(
  statements: Statement[],
  sourceVpce: string | undefined,
  endpointRef: unknown,
): boolean {
  const matches = (s: Statement) => {
    const notEquals = s.Condition?.StringNotEquals?.['aws:SourceVpce'];
    if (notEquals === undefined) return true;
    const expected = JSON.stringify(notEquals) === JSON.stringify(endpointRef) ? 'vpce-0producer' : notEquals;
    // A missing key makes StringNotEquals true: requests from outside any endpoint are denied too.
    return sourceVpce !== expected;
  };
  const relevant = statements.filter((s) => [s.Action].flat().includes('execute-api:Invoke') && matches(s));
  return !relevant.some((s) => s.Effect === 'Deny') && relevant.some((s) => s.Effect === 'Allow');
}

describe('MtlsPrivateApi', () => {
  test('the ALB listener verifies client certificates against the trust store', () => {
    const { template } = build();
    const [trustStoreId] = Object.keys(template.findResources('AWS::ElasticLoadBalancingV2::TrustStore'));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: certificateArn }],
      MutualAuthentication: {
        Mode: 'verify',
        TrustStoreArn: { 'Fn::GetAtt': [trustStoreId, 'TrustStoreArn'] },
        IgnoreClientCertificateExpiry: false,
      },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TrustStore', {
      CaCertificatesBundleS3ObjectVersion: Match.absent(),
      CaCertificatesBundleS3Bucket: 'producer-trust-store',
      CaCertificatesBundleS3Key: 'trust-store/ca-bundle.pem',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TrustStoreRevocation', {
      TrustStoreArn: { 'Fn::GetAtt': [trustStoreId, 'TrustStoreArn'] },
      RevocationContents: [
        { RevocationType: 'CRL', S3Bucket: 'producer-trust-store', S3Key: 'trust-store/intermediate.crl' },
        { RevocationType: 'CRL', S3Bucket: 'producer-trust-store', S3Key: 'trust-store/root.crl' },
      ],
    });
  });

  test("the mTLS listener forwards only the API's Host, refuses x-apigw-api-id and answers 404 otherwise", () => {
    const { template } = build();
    const [listenerId] = Object.keys(
      template.findResources('AWS::ElasticLoadBalancingV2::Listener', {
        Properties: { Port: 443, Protocol: 'HTTPS' },
      }),
    );
    const [targetGroupId] = Object.keys(
      template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup', {
        Properties: { TargetType: 'ip' },
      }),
    );
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      DefaultActions: [
        {
          Type: 'fixed-response',
          FixedResponseConfig: {
            StatusCode: '404',
            ContentType: 'application/json',
            MessageBody: Match.anyValue(),
          },
        },
      ],
    });
    const rules = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'))
      .map((r) => r.Properties)
      .filter((r) => JSON.stringify(r.ListenerArn) === JSON.stringify({ Ref: listenerId }))
      .sort((a, b) => a.Priority - b.Priority);
    expect(rules).toEqual([
      {
        ListenerArn: { Ref: listenerId },
        Priority: 1,
        Conditions: [
          { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-apigw-api-id', Values: ['*'] } },
        ],
        Actions: [
          { Type: 'fixed-response', FixedResponseConfig: expect.objectContaining({ StatusCode: '403' }) },
        ],
      },
      {
        ListenerArn: { Ref: listenerId },
        Priority: 10,
        Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['api.example.com'] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: { Ref: targetGroupId } }],
      },
    ]);
  });

  test('the execute-api endpoint policy admits Invoke on this API and its domain name only', () => {
    const { template, api } = build();
    const [endpointId] = Object.keys(template.findResources('AWS::EC2::VPCEndpoint'));
    const [apiId] = Object.keys(template.findResources('AWS::ApiGateway::RestApi'));
    const [domainId] = Object.keys(template.findResources('AWS::ApiGateway::DomainNameV2'));
    const resolved = Stack.of(api).resolve(api.executeApiEndpointPolicy.toJSON()) as {
      Statement: { Effect: string; Principal: unknown; Action: unknown; Resource: unknown[] }[];
    };
    expect(resolved.Statement).toHaveLength(1);
    const [statement] = resolved.Statement;
    expect(statement).toMatchObject({
      Sid: 'InvokeThisApiOnly',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'execute-api:Invoke',
    });
    const [apiArn, domainArn] = (statement?.Resource ?? []).map((r) => JSON.stringify(r));
    expect(statement?.Resource).toHaveLength(2);
    for (const arn of [apiArn, domainArn]) expect(arn).toContain(':execute-api:');
    expect(apiArn).toContain(`{"Ref":"${apiId}"},"/*"`);
    expect(domainArn).toContain(':/domainnames/');
    expect(domainArn).toContain(`{"Fn::GetAtt":["${domainId}","DomainNameArn"]}`);
    // Set on the endpoint by ModifyVpcEndpoint once both exist (the API's policy names the endpoint).
    const [setter] = Object.values(template.findResources('Custom::AWS')).filter((r) =>
      JSON.stringify(r.Properties.Update).includes('ModifyVpcEndpoint'),
    );
    const update = JSON.stringify(setter?.Properties.Update);
    expect(update).toContain(`\\"VpcEndpointId\\":\\"",{"Ref":"${endpointId}"}`);
    expect(update).toContain('InvokeThisApiOnly');
    expect(update).toContain(apiId);
  });

  test('trust store bundle and CRLs take object versions: a new version changes the template', () => {
    const versions = (caBundleVersion: string, crl: string) =>
      build({ trustStoreVersions: { caBundleVersion, crlVersions: { 'trust-store/intermediate.crl': crl } } })
        .template;
    const first = versions('ca-v1', 'crl-v1');
    first.hasResourceProperties('AWS::ElasticLoadBalancingV2::TrustStore', {
      CaCertificatesBundleS3ObjectVersion: 'ca-v1',
    });
    first.hasResourceProperties('AWS::ElasticLoadBalancingV2::TrustStoreRevocation', {
      RevocationContents: [
        Match.objectLike({ S3Key: 'trust-store/intermediate.crl', S3ObjectVersion: 'crl-v1' }),
        Match.objectLike({ S3Key: 'trust-store/root.crl', S3ObjectVersion: Match.absent() }),
      ],
    });
    const revocation = (t: Template) =>
      JSON.stringify(Object.values(t.findResources('AWS::ElasticLoadBalancingV2::TrustStoreRevocation')));
    const trustStore = (t: Template) =>
      JSON.stringify(Object.values(t.findResources('AWS::ElasticLoadBalancingV2::TrustStore')));
    const newCrl = versions('ca-v1', 'crl-v2');
    expect(revocation(newCrl)).not.toBe(revocation(first));
    expect(revocation(newCrl)).toContain('crl-v2');
    expect(trustStore(newCrl)).toBe(trustStore(first));
    expect(trustStore(versions('ca-v2', 'crl-v1'))).toContain('ca-v2');
  });

  test('refuses a CRL version for a key that is not among the CRLs', () => {
    let error: unknown;
    try {
      build({ trustStoreVersions: { crlVersions: { 'trust-store/other.crl': 'v1' } } });
    } catch (caught) {
      error = caught;
    }
    expect(isConsumerInfraError(error) && error.field).toBe('trustStore.crlVersions');
  });

  test('the ALB is internal and writes access and connection logs', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'application',
      Scheme: 'internal',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'connection_logs.s3.enabled', Value: 'true' },
        { Key: 'connection_logs.s3.prefix', Value: 'alb-connection' },
      ]),
    });
  });

  test('the NLB passes TCP 443 to the ALB listener through an ALB-type target group', () => {
    const { template } = build();
    const [albId] = Object.keys(
      template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Properties: { Type: 'application' },
      }),
    );
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internal',
      EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'off',
    });
    // A TCP-only NLB writes no access logs, so none are configured (cdk-nag is told why).
    const [nlb] = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Properties: { Type: 'network' },
      }),
    );
    expect(JSON.stringify(nlb?.Properties.LoadBalancerAttributes ?? [])).not.toContain(
      'access_logs.s3.enabled',
    );
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'alb',
      Protocol: 'TCP',
      Port: 443,
      Targets: [{ Id: { Ref: albId }, Port: 443 }],
      // Health checks carry no client certificate: they go to the ALB's plain listener, not the mTLS one.
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: '8080',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: { Ref: albId },
      Protocol: 'HTTP',
      Port: 8080,
      DefaultActions: [
        { Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '200' }) },
      ],
    });
    const nlbListeners = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::Listener', { Properties: { Protocol: 'TCP' } }),
    );
    expect(nlbListeners.map((l) => l.Properties.Port)).toEqual([443]);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'TCP',
      Port: 443,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: Match.anyValue() }],
    });
  });

  test('the endpoint service requires acceptance, names its principals and a private DNS name', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::EC2::VPCEndpointService', {
      AcceptanceRequired: true,
      PrivateDnsName: 'api.example.com',
      NetworkLoadBalancerArns: [{ Ref: Match.stringLikeRegexp('Nlb') }],
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpointServicePermissions', {
      AllowedPrincipals: [`arn:aws:iam::${consumerAccount}:root`],
    });
    const outputs = template.findOutputs('*');
    const serviceName = Object.entries(outputs).find(([id]) => id.includes('EndpointServiceName'))?.[1];
    expect(JSON.stringify(serviceName?.Value)).toContain(`com.amazonaws.vpce.${region}.`);
  });

  test('acceptance can be turned off and the private DNS name changed', () => {
    build({
      acceptanceRequired: false,
      endpointServicePrivateDnsName: 'widgets.example.com',
    }).template.hasResourceProperties('AWS::EC2::VPCEndpointService', {
      AcceptanceRequired: false,
      PrivateDnsName: 'widgets.example.com',
    });
  });

  test('the private API policy denies every caller that does not come through its execute-api endpoint', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: `com.amazonaws.${region}.execute-api`,
      PrivateDnsEnabled: false,
    });
    const [endpointId] = Object.keys(template.findResources('AWS::EC2::VPCEndpoint'));
    const [api] = Object.values(template.findResources('AWS::ApiGateway::RestApi'));
    expect(api?.Properties.EndpointConfiguration.Types).toEqual(['PRIVATE']);
    const statements = api?.Properties.Policy.Statement as Statement[];
    const endpointRef = { Ref: endpointId };
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Condition: { StringNotEquals: { 'aws:SourceVpce': endpointRef } },
      }),
    );
    expect(invokeAllowed(statements, 'vpce-0producer', endpointRef)).toBe(true);
    expect(invokeAllowed(statements, 'vpce-0someoneelse', endpointRef)).toBe(false);
    expect(invokeAllowed(statements, undefined, endpointRef)).toBe(false);
  });

  test('a private custom domain maps the API for the execute-api endpoint, with the same policy', () => {
    const { template } = build();
    const [endpointId] = Object.keys(template.findResources('AWS::EC2::VPCEndpoint'));
    const [domainId, domain] =
      Object.entries(template.findResources('AWS::ApiGateway::DomainNameV2'))[0] ?? [];
    expect(domain?.Properties).toMatchObject({
      DomainName: 'api.example.com',
      CertificateArn: certificateArn,
      EndpointConfiguration: { Types: ['PRIVATE'] },
      SecurityPolicy: 'TLS_1_2',
    });
    const statements = domain?.Properties.Policy.Statement as Statement[];
    expect(invokeAllowed(statements, 'vpce-0producer', { Ref: endpointId })).toBe(true);
    expect(invokeAllowed(statements, 'vpce-0someoneelse', { Ref: endpointId })).toBe(false);
    template.hasResourceProperties('AWS::ApiGateway::BasePathMappingV2', {
      DomainNameArn: { 'Fn::GetAtt': [domainId, 'DomainNameArn'] },
      Stage: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::ApiGateway::DomainNameAccessAssociation', {
      AccessAssociationSource: { Ref: endpointId },
      AccessAssociationSourceType: 'VPCE',
    });
  });

  test("the ALB forwards over HTTPS to the execute-api endpoint's address in each AZ", () => {
    const { template } = build();
    const [group] = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup', {
        Properties: { TargetType: 'ip' },
      }),
    );
    expect(group?.Properties).toMatchObject({ Protocol: 'HTTPS', Port: 443, HealthCheckProtocol: 'HTTPS' });
    const targets = group?.Properties.Targets as { Id: { 'Fn::GetAtt': [string, string] } }[];
    expect(targets.map((t) => t.Id['Fn::GetAtt'][1])).toEqual([
      'NetworkInterfaces.0.PrivateIpAddress',
      'NetworkInterfaces.1.PrivateIpAddress',
      'NetworkInterfaces.2.PrivateIpAddress',
    ]);
    const lookups = Object.values(template.findResources('Custom::AWS')).filter((r) =>
      JSON.stringify(r.Properties.Update).includes('DescribeNetworkInterfaces'),
    );
    expect(lookups).toHaveLength(1);
    // The ENI ids are passed one by one, so no JSON-stringify helper function is needed.
    template.resourceCountIs('Custom::AWSCDKCfnJsonStringify', 0);
  });

  test('security groups chain NLB -> ALB -> endpoint on 443 (and the ALB health port from the NLB)', () => {
    const { template } = build();
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    const groupId = (prefix: string) =>
      Object.entries(groups).find(([, g]) => String(g.Properties.GroupDescription).startsWith(prefix))?.[0] ??
      '';
    const nlb = groupId('NLB');
    const alb = groupId('mTLS ALB');
    const endpoint = groupId('execute-api endpoint');
    const rules = (type: string, own: 'GroupId' | 'GroupId', peer: string) =>
      Object.values(template.findResources(type))
        .map((r) => r.Properties)
        .map((r) => ({
          own: r[own]['Fn::GetAtt'][0],
          peer: r[peer]['Fn::GetAtt'][0],
          port: r.FromPort,
          to: r.ToPort,
          proto: r.IpProtocol,
        }))
        .sort((a, b) => `${a.own}${a.peer}${a.port}`.localeCompare(`${b.own}${b.peer}${b.port}`));
    const sorted = <T extends { own: string; peer: string; port: number }>(list: T[]) =>
      [...list].sort((a, b) => `${a.own}${a.peer}${a.port}`.localeCompare(`${b.own}${b.peer}${b.port}`));
    // Group-to-group rules: exactly the chain, nothing else.
    expect(rules('AWS::EC2::SecurityGroupIngress', 'GroupId', 'SourceSecurityGroupId')).toEqual(
      sorted([
        { own: alb, peer: nlb, port: 443, to: 443, proto: 'tcp' },
        { own: alb, peer: nlb, port: 8080, to: 8080, proto: 'tcp' },
        { own: endpoint, peer: alb, port: 443, to: 443, proto: 'tcp' },
      ]),
    );
    expect(rules('AWS::EC2::SecurityGroupEgress', 'GroupId', 'DestinationSecurityGroupId')).toEqual(
      sorted([
        { own: alb, peer: endpoint, port: 443, to: 443, proto: 'tcp' },
        { own: nlb, peer: alb, port: 443, to: 443, proto: 'tcp' },
        { own: nlb, peer: alb, port: 8080, to: 8080, proto: 'tcp' },
      ]),
    );
    // Inline rules: the NLB admits the VPC on 443; no group has any other CIDR rule or open egress.
    expect(groups[nlb]?.Properties.SecurityGroupIngress).toEqual([
      {
        CidrIp: '10.10.0.0/16',
        Description: 'TLS from the VPC',
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      },
    ]);
    for (const id of [alb, endpoint]) expect(groups[id]?.Properties.SecurityGroupIngress).toBeUndefined();
    // The endpoint's group sends nothing (CDK's placeholder rule that matches no traffic); the others
    // only the group-to-group rules above.
    expect(groups[endpoint]?.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' }),
    ]);
    for (const id of [nlb, alb]) expect(groups[id]?.Properties.SecurityGroupEgress).toBeUndefined();
  });

  test('the example backend serves the widgets routes, with a request validator and stage logging', () => {
    const { template } = build();
    const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => r.Properties.PathPart,
    );
    expect(paths.sort()).toEqual(['widgets', '{id}']);
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map(
      (m) => m.Properties.HttpMethod,
    );
    expect(methods.sort()).toEqual(['GET', 'GET', 'POST']);
    // The backend does not answer /echo either (it mirrors request headers: a debugging aid).
    const [backend] = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('example backend') },
      }),
    );
    expect(backend?.Properties.Code.ZipFile).toContain('const echo = false;');
    template.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: [Match.objectLike({ LoggingLevel: 'INFO', MetricsEnabled: true })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
    });
  });

  test('routes and an authorizer come from the caller; /echo only when the example backend is asked for it', () => {
    const stack = new Stack(newApp(), 'Own', { env: { account: producerAccount, region } });
    const example = new ExampleBackend(stack, 'Example', { echo: true });
    expect(example.routes.map((r) => r.path)).toEqual(['/widgets', '/widgets/{id}', '/echo']);
    const { template } = build({
      backend: lambda.Function.fromFunctionArn(
        new Stack(),
        'Fn',
        `arn:aws:lambda:${region}:${producerAccount}:function:orders`,
      ),
      routes: [{ path: '/orders/{orderId}/lines', methods: ['GET', 'PUT'] }],
    });
    const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => r.Properties.PathPart,
    );
    expect(paths.sort()).toEqual(['lines', 'orders', '{orderId}']);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'PUT',
      AuthorizationType: 'NONE',
      RequestParameters: { 'method.request.path.orderId': true },
    });

    const withAuthorizer = new Stack(newApp(), 'Authorized', { env: { account: producerAccount, region } });
    const vpc = vpcFromSource(withAuthorizer, 'Vpc', {
      kind: 'create',
      cidr: '10.10.0.0/16',
      availabilityZones,
    });
    const authorizerFunction = new ExampleBackend(withAuthorizer, 'AuthorizerFn').function;
    const authorizer = new apigateway.RequestAuthorizer(withAuthorizer, 'Authorizer', {
      handler: authorizerFunction,
      identitySources: [apigateway.IdentitySource.header('x-amzn-mtls-clientcert-serial-number')],
    });
    new MtlsPrivateApi(withAuthorizer, 'PrivateApi', {
      vpc,
      domainName: 'api.example.com',
      certificateArn,
      trustStore: {
        bucket: s3.Bucket.fromBucketName(withAuthorizer, 'B', 'producer-trust-store'),
        caBundleKey: 'ca.pem',
      },
      allowedPrincipals: [`arn:aws:iam::${consumerAccount}:root`],
      authorizer,
    });
    const authorized = Template.fromStack(withAuthorizer);
    const authMethods = Object.values(authorized.findResources('AWS::ApiGateway::Method')).map(
      (m) => m.Properties,
    );
    expect(authMethods.length).toBeGreaterThan(0);
    for (const method of authMethods) {
      expect(method).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: expect.any(String) },
      });
    }
  });

  test('a backend of your own needs its routes', () => {
    let error: unknown;
    try {
      build({
        backend: lambda.Function.fromFunctionArn(
          new Stack(),
          'Fn',
          `arn:aws:lambda:${region}:${producerAccount}:function:x`,
        ),
      });
    } catch (caught) {
      error = caught;
    }
    expect(isConsumerInfraError(error) && error.field).toBe('routes');
  });

  test("the account's API Gateway CloudWatch role is left alone unless asked for", () => {
    build().template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const { template, stack } = build({ cloudWatchRole: true });
    template.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: Match.anyValue() });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('the endpoint service can admit consumers in other regions', () => {
    build({ allowedRegions: ['eu-central-1'] }).template.hasResourceProperties(
      'AWS::EC2::VPCEndpointService',
      {
        SupportedRegions: ['eu-central-1'],
      },
    );
  });

  test('outputs the TXT record that verifies the private DNS name, read from the endpoint service', () => {
    const { template } = build();
    const [reader] = Object.entries(template.findResources('Custom::AWS')).filter(([, r]) =>
      JSON.stringify(r.Properties.Update).includes('DescribeVpcEndpointServiceConfigurations'),
    );
    expect(reader).toBeDefined();
    const outputs = Object.entries(template.findOutputs('*'));
    const txt = outputs.find(([id]) => id.includes('PrivateDnsVerificationTxtRecord'))?.[1];
    expect(JSON.stringify(txt?.Value)).toContain('PrivateDnsNameConfiguration.Value');
    expect(JSON.stringify(txt?.Value)).toContain(reader?.[0] ?? 'missing');
  });

  test('the log bucket expires noncurrent versions', () => {
    build().template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
        ],
      },
    });
  });

  test('cdk-nag AwsSolutions: nothing unacknowledged', () => {
    const { stack } = build();
    expect(nagFindings(stack)).toEqual([]);
  });

  test('refuses an empty principal list and single-AZ subnets, naming the prop', () => {
    const fieldOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isConsumerInfraError(error) ? error.field : error;
      }
      return undefined;
    };
    expect(fieldOf(() => build({ allowedPrincipals: [] }))).toBe('allowedPrincipals');
    const stack = new Stack(newApp(), 'OneAz', { env: { account: producerAccount, region } });
    const vpc = vpcFromSource(stack, 'Vpc', { kind: 'create', cidr: '10.10.0.0/16', availabilityZones });
    expect(
      fieldOf(
        () =>
          new MtlsPrivateApi(stack, 'Api', {
            vpc,
            subnets: { subnets: [vpc.isolatedSubnets[0]!] },
            domainName: 'api.example.com',
            certificateArn,
            trustStore: {
              bucket: s3.Bucket.fromBucketName(stack, 'B', 'producer-trust-store'),
              caBundleKey: 'ca.pem',
            },
            allowedPrincipals: [`arn:aws:iam::${consumerAccount}:root`],
          }),
      ),
    ).toBe('subnets');
  });
});
