export * from './platform-namespace';
