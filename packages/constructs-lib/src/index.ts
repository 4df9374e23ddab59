export * from './config/schema';
export * from './config/validate';
export * from './environments';
export * from './naming/naming';
export * from './versions/kubernetes';
export * from './versions/instance-types';
export * from './versions/charts';
export * from './util/cidr';
