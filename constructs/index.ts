export * from './secure-agent';
