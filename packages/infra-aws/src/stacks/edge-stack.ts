import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PlatformWebAcl } from '@optibid/constructs-lib/aws';
import type { PlatformStackProps } from './stack-props';

/** The WAF web ACL in front of the public ALB. */
export class EdgeStack extends Stack {
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    this.webAclArn = new PlatformWebAcl(this, 'Waf', { config: props.config, names: props.names }).webAcl.attrArn;
  }
}
