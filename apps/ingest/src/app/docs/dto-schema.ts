import { getMetadataStorage } from 'class-validator';

/** A JSON Schema object as OpenAPI 3 uses it (kept loose: @nestjs/swagger does not export its type). */
export type SchemaObject = Record<string, unknown>;
type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

/** How one class-validator rule reads in JSON Schema; unknown rules fail loudly (see schemaOfDto). */
export type RuleSchema = (constraints: unknown[]) => SchemaObject;

function ruleName(metadata: ValidationMetadata): string {
  if (metadata.name) return metadata.name;
  if (metadata.type !== 'customValidation') return metadata.type;
  const [constraint] = getMetadataStorage().getTargetValidatorConstraints(metadata.constraintCls);
  return constraint?.name ?? metadata.constraintCls?.name ?? 'unknown';
}

const BUILT_IN: Record<string, RuleSchema> = {
  isIn: ([values]) => ({ enum: values as unknown[] }),
  matches: ([pattern]) => ({ type: 'string', pattern: (pattern as RegExp).source }),
};

/**
 * The OpenAPI schema of a request DTO, read from its class-validator rules: the same metadata that
 * validates every request, so /docs cannot drift from what is enforced. A rule without a mapping (in
 * `custom` or built in) throws at start-up rather than being left out of the document.
 */
export function schemaOfDto(
  dto: abstract new (...args: never[]) => unknown,
  custom: Record<string, RuleSchema>,
  descriptions: Record<string, string> = {},
): SchemaObject {
  const rules = getMetadataStorage().getTargetValidationMetadatas(dto as never, '', true, false);
  const properties: Record<string, SchemaObject> = {};
  const required: string[] = [];
  for (const metadata of rules) {
    const property = metadata.propertyName;
    const schema = (properties[property] ??= descriptions[property]
      ? { description: descriptions[property] }
      : {});
    const name = ruleName(metadata);
    if (name === 'isDefined') {
      required.push(property);
      continue;
    }
    if (metadata.type === 'conditionalValidation') continue;
    const mapping = custom[name] ?? BUILT_IN[name];
    if (mapping === undefined) {
      throw new Error(`no OpenAPI mapping for the validation rule "${name}" of ${dto.name}.${property}`);
    }
    Object.assign(schema, mapping(metadata.constraints ?? []));
  }
  return { type: 'object', properties, required: [...new Set(required)], additionalProperties: false };
}
