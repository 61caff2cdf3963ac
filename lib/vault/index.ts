export * from './capabilities';
export * from './policy';
export { renderPolicyHcl } from './hcl';
export { agentRuleProblems, assertAgentRules } from './agent-rules';
export * from './layout';
export * from './agent';
