export * from './schema';
export * from './errors';
export { validateFleet, defineFleet, type ValidationResult } from './validate';
export { parseFleet, loadFleetFile } from './load';
export { RESERVED_NAMESPACES, imageRegistry } from './rules';
