import { k8s } from 'cdk8s-plus-28';

/** A port or percentage as Kubernetes' IntOrString (numbers stay numbers, names and `25%` stay strings). */
export const intOrStr = (v: number | string) => (typeof v === 'number' ? k8s.IntOrString.fromNumber(v) : k8s.IntOrString.fromString(v));

/** A resource quantity such as `512Mi` or `16Gi`. */
export const quantity = (v: string) => k8s.Quantity.fromString(v);
