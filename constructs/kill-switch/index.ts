export * from './chart';
export * from './plan';
export * from './rbac';
export * from './runner';
export { renderScript, scriptFileName } from './script';
