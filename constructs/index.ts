export * from './secure-agent';
export * from './trust-phase';
export * from './agent-network';
export * from './kill-switch';
