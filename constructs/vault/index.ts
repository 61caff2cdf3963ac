export * from './agent-vault';
export * from './vault-stack';
