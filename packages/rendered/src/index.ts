// The one reader of the rendered output (dist/): used by the render, every check, diff, deploy and the tests.
export * from './layout';
export * from './objects';
export * from './findings';
export * from './load';
export * from './workloads';
export * from './selectors';
export * from './quantity';
export * from './cidr';
