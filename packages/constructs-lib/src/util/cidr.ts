/**
 * IPv4 CIDR arithmetic for config validation and the VPC construct: the one parser of @optibid/rendered, strict as
 * AWS is (a network address without host bits, an explicit prefix). No dependency on aws-cdk-lib.
 */
export { cidrContains, cidrsOverlap, parseCidr, type CidrRange } from '@optibid/rendered';
