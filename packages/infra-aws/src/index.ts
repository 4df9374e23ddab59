export * from './app';
export * from './stacks/network-stack';
export * from './stacks/data-stack';
export * from './stacks/edge-stack';
export * from './stacks/cluster-stack';
