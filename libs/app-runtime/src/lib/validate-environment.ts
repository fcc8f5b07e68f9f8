// class-transformer reads design:type metadata to convert env strings to numbers and booleans.
import 'reflect-metadata';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** Thrown at start-up when the environment does not satisfy an app's config class. */
export class EnvironmentValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvironmentValidationError';
  }
}

function describe(error: ValidationError): string {
  const reasons = Object.values(error.constraints ?? {}).join('; ');
  const shown = error.value === undefined ? '(unset)' : JSON.stringify(error.value);
  return `${error.property}=${shown}: ${reasons}`;
}

/**
 * Builds the `validate` function for `ConfigModule.forRoot`: converts the raw environment into an
 * instance of `schema` (string values converted by the property types), checks every rule, and throws
 * one error naming every bad variable, so a misconfigured process stops before it takes traffic.
 * Unknown variables are ignored: the process environment holds much more than ours.
 */
export function validateEnvironment<T extends object>(schema: ClassConstructor<T>) {
  return (raw: Record<string, unknown>): T => {
    const config = plainToInstance(schema, raw, {
      enableImplicitConversion: true,
      exposeDefaultValues: true,
    });
    const errors = validateSync(config, { skipMissingProperties: false, forbidUnknownValues: true });
    if (errors.length > 0) {
      throw new EnvironmentValidationError(errors.map(describe));
    }
    return config;
  };
}
