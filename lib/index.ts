export * from './fleet';
export * from './kinds';
export * from './phases';
export * from './naming';
export { durationSeconds, formatDuration } from './duration';
