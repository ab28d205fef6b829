import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

// Fastify's default validator coerces types everywhere, so `{"weight": "400"}` would pass as 400 and a
// client's bug would go unnoticed. Bodies are JSON and must carry the right types; only the query
// string and path parameters, which are text by nature, are coerced ("?limit=20" -> 20).
//
// Each route's validator is compiled at its first request, not when the admin API starts: compiling
// all of them took about 230 ms of the node's start and memory for code most nodes never run (a node
// serving traffic is asked for /metrics and little else). Ajv caches by schema object, so a second
// route with the same schema reuses the compiled function.

const strict = new Ajv({ discriminator: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, strict: false });
const coercing = new Ajv({ discriminator: true, coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false, strict: false });

type DataContext = Parameters<ValidateFunction>[1];

/**
 * A validator that compiles its schema on first use and then behaves as the compiled one: `errors`
 * is copied after every call, and `schemaEnv` is set so that Fastify passes the parent object, as it
 * does for an Ajv function, letting Ajv coerce a root value in place.
 */
interface LazyValidator {
  (data: unknown, dataContext?: DataContext): boolean;
  errors?: ValidateFunction['errors'];
  schemaEnv: boolean;
}

export const compileValidator: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  let validate: ValidateFunction | undefined;
  const lazy: LazyValidator = Object.assign(
    (data: unknown, dataContext?: DataContext): boolean => {
      validate ??= ajv.compile(schema as object);
      const isValid = validate(data, dataContext) as boolean;
      lazy.errors = validate.errors;
      return isValid;
    },
    { schemaEnv: true },
  );
  return lazy;
};
