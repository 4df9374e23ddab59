export * from './types';
export * from './cli';
export { CHECKS, REPORT_CHECKS } from './checks';
