/** Synthesis as a library: the fleet's cdk8s apps, the rendered file set, and the atomic write. */
export { buildApp, type FleetApp } from './app';
export { renderFleet, type FileSet, type RenderOptions } from './render';
export { synth, loadCheckedFleet, type SynthOptions, type SynthResult } from './synth';
export { summarize, type SynthSummary } from './summary';
export { vaultStackJson } from './vault';
export { UnsafeOutputError, OUTPUT_MARKER } from './write';
