import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

// Fastify's default validator coerces types everywhere, so `{"weight": "400"}` would pass as 400 and a
// client's bug would go unnoticed. Bodies are JSON and must carry the right types; only the query
// string and path parameters, which are text by nature, are coerced ("?limit=20" -> 20).

const strict = new Ajv({ discriminator: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, strict: false });
const coercing = new Ajv({ discriminator: true, coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false, strict: false });

export const compileValidator: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  const validate: ValidateFunction = (httpPart === 'body' ? strict : coercing).compile(schema as object);
  return validate;
};
