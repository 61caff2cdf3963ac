/**
 * agentguard's public API: `import { defineFleet, SecureAgent, PolicyConstraints } from 'agentguard'`.
 * The fleet model and its validation (lib/), the cdk8s constructs (constructs/), the Gatekeeper
 * policy pack (policies/) and synthesis (synth/). The CDKTF Vault constructs are in 'agentguard/vault'
 * so that apps without Vault do not load cdktf.
 */
export * from './lib';
export * from './constructs';
export * from './policies';
export * from './synth';
