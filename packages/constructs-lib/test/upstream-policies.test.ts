import { HELM_CHARTS, MANAGED_ADDON_VERSIONS, UPSTREAM_POLICIES, type UpstreamPolicy } from '../src';

/**
 * The published controller policies are bound to the pins: changing a chart or add-on version in versions/ without
 * re-reading the controller's published IAM policy (and updating forVersions) fails here, before verify sees it.
 */
describe.each(Object.entries(UPSTREAM_POLICIES) as [string, UpstreamPolicy][])('upstream policy %s', (key, policy) => {
  it('was reviewed for every version the version table pins', () => {
    const how = policy.installedAs;
    const pinned =
      'chart' in how
        ? Object.values(HELM_CHARTS).filter((c) => c.chart === how.chart).map((c) => c.version)
        : Object.values(MANAGED_ADDON_VERSIONS).map((v) => (v as Record<string, string>)[how.addon]).filter(Boolean);
    expect(pinned.length).toBeGreaterThan(0);
    expect({ key, notReviewed: pinned.filter((v) => !policy.forVersions.includes(v)) }).toEqual({ key, notReviewed: [] });
  });

  it('names its source and the ref read', () => {
    expect(policy.source.length).toBeGreaterThan(0);
    expect(policy.read).toMatch(/read \d{4}-\d{2}-\d{2}/);
    expect(policy.statements.every((s) => s.actions.length > 0 && s.resources.length > 0)).toBe(true);
  });
});
