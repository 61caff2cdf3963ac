export * from './secure-agent';
export * from './kill-switch';
