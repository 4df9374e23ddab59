/**
 * Availability zones per region, committed so synthesis never performs an AWS lookup (CDK would otherwise ask the
 * account for them). Zone names are as AWS lists them for every account in these regions.
 */
export const REGION_AVAILABILITY_ZONES: Readonly<Record<string, readonly string[]>> = {
  'us-east-1': ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'],
  'us-east-2': ['us-east-2a', 'us-east-2b', 'us-east-2c'],
  'us-west-2': ['us-west-2a', 'us-west-2b', 'us-west-2c', 'us-west-2d'],
  'eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  'eu-central-1': ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'],
};

/** The CDK context entry that answers the availability-zones lookup for one account/region. */
export function availabilityZoneContext(account: string, region: string): Record<string, readonly string[]> {
  const zones = REGION_AVAILABILITY_ZONES[region];
  if (!zones) throw new Error(`Region ${region} has no entry in REGION_AVAILABILITY_ZONES`);
  return { [`availability-zones:account=${account}:region=${region}`]: zones };
}
