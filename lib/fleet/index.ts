export * from './schema';
export * from './errors';
export { validateFleet, defineFleet, type ValidationResult } from './validate';
export { parseFleet, loadFleetFile } from './load';
export { RESERVED_NAMESPACES, imageRegistry } from './rules';
export { FleetLockSchema, LOCK_KIND, lockFileFor, parseLock, readLockFile, renderLock } from './lock';
export type { FleetLock, LockEntry } from './lock';
export { checkPromotions, lockChanges, nextLock } from './promotion';
