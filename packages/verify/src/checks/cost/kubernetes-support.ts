/**
 * The EKS support calendar of the Kubernetes versions the platform can create, copied from
 * packages/constructs-lib/src/versions/kubernetes.ts (static data; that file's SUPPORT_CALENDAR_CHECKED is
 * 2026-11-25). Source: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
 * A cluster is billed at the standard-support rate until `standardSupportEnds`, at the extended-support rate after
 * it; after `extendedSupportEnds` EKS upgrades the control plane itself.
 */
export interface SupportDates {
  readonly standardSupportEnds: string;
  readonly extendedSupportEnds: string;
}

export const EKS_SUPPORT_CALENDAR: Readonly<Record<string, SupportDates>> = {
  '1.28': { standardSupportEnds: '2024-11-26', extendedSupportEnds: '2025-11-26' },
  '1.35': { standardSupportEnds: '2027-03-27', extendedSupportEnds: '2028-03-27' },
  '1.36': { standardSupportEnds: '2027-08-02', extendedSupportEnds: '2028-08-02' },
};

export type SupportTier = 'standard' | 'extended';

export interface SupportStatus {
  readonly tier: SupportTier;
  /** Plain-words reason, with the dates. */
  readonly why: string;
  /** True when even extended support has ended on that date (EKS will auto-upgrade). */
  readonly pastExtended: boolean;
}

/** The support tier of a version on an ISO date, or undefined when the calendar does not list the version. */
export function supportTier(version: string, onDate: string): SupportStatus | undefined {
  const d = EKS_SUPPORT_CALENDAR[version];
  if (!d) return undefined;
  if (onDate <= d.standardSupportEnds) return { tier: 'standard', why: `Kubernetes ${version} is in standard support until ${d.standardSupportEnds}`, pastExtended: false };
  const pastExtended = onDate > d.extendedSupportEnds;
  return {
    tier: 'extended',
    why: pastExtended
      ? `Kubernetes ${version} left standard support on ${d.standardSupportEnds} and extended support on ${d.extendedSupportEnds}: priced at the extended rate, and EKS will upgrade the control plane itself`
      : `Kubernetes ${version} left standard support on ${d.standardSupportEnds}: extended support (until ${d.extendedSupportEnds}) is billed at the extended rate`,
    pastExtended,
  };
}
