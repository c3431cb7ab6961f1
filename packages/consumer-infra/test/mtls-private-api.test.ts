import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, test } from 'vitest';
import {
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

function build(props: Partial<MtlsPrivateApiProps> = {}) {
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
    },
    allowedPrincipals: [`arn:aws:iam::${consumerAccount}:root`],
    ...props,
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
    const [lookup] = Object.values(template.findResources('Custom::AWS'));
    expect(JSON.stringify(lookup?.Properties.Update)).toContain('DescribeNetworkInterfaces');
    // The ENI ids are passed one by one, so no JSON-stringify helper function is needed.
    template.resourceCountIs('Custom::AWSCDKCfnJsonStringify', 0);
    template.resourceCountIs('AWS::Lambda::Function', 2);
  });

  test('security groups chain NLB -> ALB -> endpoint on 443 (and the ALB health port from the NLB)', () => {
    const { template } = build();
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map(
      (r) => r.Properties,
    );
    expect(ingress.map((rule) => [rule.IpProtocol, rule.FromPort, rule.ToPort]).sort()).toEqual([
      ['tcp', 443, 443],
      ['tcp', 443, 443],
      ['tcp', 8080, 8080],
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^NLB'),
      SecurityGroupIngress: [{ CidrIp: '10.10.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }],
    });
  });

  test('the example backend serves the widgets routes, with a request validator and stage logging', () => {
    const { template } = build();
    const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => r.Properties.PathPart,
    );
    expect(paths.sort()).toEqual(['echo', 'widgets', '{id}']);
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
