import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { LOG_ENTRY_SCHEMA_NAME, logEntrySchema } from './log-entry.openapi';

/** The OpenAPI document of the routes, with LogEntry generated from the DTO's validation rules. */
export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Logpipe')
    .setDescription(
      'Send log entries, query and tail them. Every /api route needs an API key when keys are configured.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <key>' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, [LOG_ENTRY_SCHEMA_NAME]: logEntrySchema() as never },
  };
  return document;
}

/** Interactive docs at /docs, the document itself at /docs/openapi.json. */
export function setupOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
  });
  return document;
}
