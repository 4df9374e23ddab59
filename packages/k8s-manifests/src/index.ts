export * from './app';
export * from './render-files';
