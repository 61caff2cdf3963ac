/** Keys a zod schema allows at a path: the "did you mean" hints for unknown keys, for any strict schema. */
import { z } from 'zod';
import type { PathSegment } from './errors';

export function knownKeysIn(root: z.ZodType): (path: readonly PathSegment[]) => string[] {
  return (path) => {
    let schema: z.ZodType | undefined = root;
    for (const seg of path) {
      schema = schema && childSchema(unwrap(schema), seg);
    }
    const object = schema && unwrap(schema);
    return object instanceof z.ZodObject ? Object.keys(object.shape).sort() : [];
  };
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (
    current instanceof z.ZodDefault ||
    current instanceof z.ZodOptional ||
    current instanceof z.ZodPrefault
  ) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

function childSchema(schema: z.ZodType, seg: PathSegment): z.ZodType | undefined {
  if (schema instanceof z.ZodArray && typeof seg === 'number') return schema.element as z.ZodType;
  if (schema instanceof z.ZodRecord && typeof seg === 'string') return schema.valueType as z.ZodType;
  if (schema instanceof z.ZodObject && typeof seg === 'string')
    return schema.shape[seg] as z.ZodType | undefined;
  return undefined;
}
