import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

// Fastify's own response serializers (fast-json-stringify, the same options and shared schemas), but
// each compiled at the first response it writes instead of when the admin API starts. Compiling the
// serializers of every route took about 330 ms of the node's start and kept generated code in memory
// for routes a serving node is rarely asked for; a route's first response pays its own compile once.

type SerializerFactory = ReturnType<typeof SerializerSelector>;
type SerializerCompiler = ReturnType<SerializerFactory>;
type Serializer = ReturnType<SerializerCompiler>;

const buildDefaultSerializer = SerializerSelector();

/** `schemaController.compilersFactory.buildSerializer` for Fastify: fast-json-stringify, compiled on first use. */
export const buildLazySerializer: SerializerFactory = (externalSchemas, options) => {
  const compile = buildDefaultSerializer(externalSchemas, options);
  return (routeDefinition) => {
    let serialize: Serializer | undefined;
    return (doc) => {
      serialize ??= compile(routeDefinition);
      return serialize(doc);
    };
  };
};
