/** Reading a fleet file: YAML syntax errors and validation errors, each with its line. */
import { dirname, resolve } from 'node:path';
import { FleetSyntaxError, FleetValidationError, type Locate } from './errors';
import type { Fleet } from './schema';
import { validateFleet, type ValidationResult } from './validate';
import { parseYamlSource, readSourceFile } from './yaml-source';

/** Parses and validates fleet YAML. */
export function parseFleet(text: string): ValidationResult {
  const source = parseYamlSource(text);
  return source.ok ? validateFleet(source.data, source.locate) : source;
}

/**
 * Reads, parses and validates a fleet file, keeping `locate` so later checks (promotion against the
 * lock) can point at the same file's lines. Throws FleetValidationError with every error.
 */
export function readFleetFile(file: string): { fleet: Fleet; locate: Locate } {
  const source = parseYamlSource(readSourceFile(file));
  if (!source.ok) throw new FleetSyntaxError(source.errors, file);
  const result = validateFleet(source.data, source.locate, dirname(resolve(file)));
  if (!result.ok) throw new FleetValidationError(result.errors, file);
  return { fleet: result.fleet, locate: source.locate };
}

/** Reads, parses and validates a fleet file; throws FleetValidationError with every error. */
export function loadFleetFile(file: string): Fleet {
  return readFleetFile(file).fleet;
}
