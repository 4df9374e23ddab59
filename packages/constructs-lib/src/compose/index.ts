export * from './compose';
export * from './files';
export * from './variables';
