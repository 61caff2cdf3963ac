/** The Gatekeeper policy pack: its charts, catalog, typed parameters and the offline check. */
export {
  PolicyTemplates,
  PolicyConstraints,
  type PolicyPackProps,
  constraintName,
  POD_KINDS,
  SYNC_WAVE,
  ARGO_ANNOTATIONS,
} from './policy-pack';
export {
  policyCatalog,
  policyByFolder,
  type PolicyEntry,
  MINIMUM_GATEKEEPER_VERSION,
  TEMPLATE_API_VERSION,
  CONSTRAINT_API_VERSION,
} from './catalog';
export * from './parameters';
export { PackChecker, type CheckResult, type CheckViolation, type ReviewedObject } from './check';
