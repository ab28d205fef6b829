import { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * JSON Schema (draft 2020-12) of the config as it is written, for editors: durations and sizes are
 * strings with a pattern, defaults and descriptions come from the zod schema.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://evenkeel.dev/schema/evenkeel.schema.json',
    title: 'evenkeel configuration',
    description: 'The evenkeel.yaml file; see docs/configuration.md.',
    ...schema,
  };
}
