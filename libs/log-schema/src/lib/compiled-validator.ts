import {
  getMetadataStorage,
  ValidationTypes,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import type { LogEntryFieldError } from './log-entry.types';

type MessageSource = string | ((args: ValidationArguments) => string) | undefined;
type Condition = (object: object, value: unknown) => boolean;

interface CompiledRule {
  /** The decorator's constraints, set on the arguments before check and message read them. */
  constraints: unknown[];
  check(value: unknown, args: ValidationArguments): boolean;
  message(args: ValidationArguments): string;
}

interface CompiledField {
  property: string;
  conditions: Condition[];
  required?: { message: (args: ValidationArguments) => string };
  rules: CompiledRule[];
}

/**
 * Validates a plain object against a DTO's rules; returns one error per failing field. The array is
 * the caller's to keep but not to change: a valid object gets one shared empty array.
 */
export type CompiledValidator = (
  input: Record<string, unknown>,
  unknownField: (field: string) => LogEntryFieldError,
) => readonly LogEntryFieldError[];

/** The constraints of a field's required check (none); shared, nothing writes to it. */
const NO_CONSTRAINTS: unknown[] = [];
/** What a valid object gets back: no array per valid entry. */
const NO_ERRORS: readonly LogEntryFieldError[] = Object.freeze([]);
/** The shared arguments' object between calls. */
const NO_OBJECT = Object.freeze({});

function messageOf(source: MessageSource, fallback: (args: ValidationArguments) => string) {
  if (typeof source === 'function') return source as (args: ValidationArguments) => string;
  if (typeof source === 'string' && source !== '') return () => source;
  return fallback;
}

/**
 * Compiles the class-validator decorators of `dto` into a plain function, once, at start-up.
 *
 * Why: class-validator looks up, groups and filters the metadata, builds ValidationError objects and
 * allocates per property on every call; on the ingest hot path that was the largest share of CPU after
 * JSON parsing (see BENCHMARKS.md). The rules themselves stay single-sourced: this reads the very
 * metadata the decorators registered and calls the very constraint classes (built-in and custom)
 * with the same arguments. It reproduces the semantics Logpipe uses (whitelist with
 * forbidNonWhitelisted, stopAtFirstError, ValidateIf, IsDefined); any other kind of metadata makes it
 * refuse to compile rather than guess. A property test checks it agrees with validateSync.
 */
export function compileValidator(dto: new () => object): CompiledValidator {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(dto, '', false, false);
  const byProperty = storage.groupByPropertyName(metadatas);
  const fields: CompiledField[] = [];
  const targetName = dto.name;

  for (const [property, list] of Object.entries(byProperty)) {
    const field: CompiledField = { property, conditions: [], rules: [] };
    for (const meta of list) {
      if (meta.each || (meta.groups && meta.groups.length > 0)) {
        throw new Error(
          `compileValidator: ${targetName}.${property} uses "each" or groups, which are not supported`,
        );
      }
      switch (meta.type) {
        case ValidationTypes.CONDITIONAL_VALIDATION:
          field.conditions.push(meta.constraints[0] as Condition);
          break;
        case ValidationTypes.IS_DEFINED:
          field.required = {
            message: messageOf(meta.message, (args) => `${args.property} should not be null or undefined`),
          };
          break;
        case ValidationTypes.CUSTOM_VALIDATION: {
          const constraint = new (meta.constraintCls as new () => ValidatorConstraintInterface)();
          field.rules.push({
            constraints: meta.constraints ?? [],
            check: (value, args) => constraint.validate(value, args) === true,
            message: messageOf(meta.message, (args) =>
              constraint.defaultMessage ? constraint.defaultMessage(args) : `${args.property} is invalid`,
            ),
          });
          break;
        }
        case ValidationTypes.WHITELIST:
          break;
        default:
          throw new Error(
            `compileValidator: ${targetName}.${property} uses "${meta.type}" metadata, which is not supported`,
          );
      }
    }
    fields.push(field);
  }
  const known = new Set(fields.map((f) => f.property));

  // One arguments object for every call, refilled for each field and rule: the constraints read it while
  // they run and keep nothing (they are synchronous and never re-enter this validator), and a new one per
  // call, field or rule was most of what validating an entry allocated besides the entry itself
  // (issue 14). A message gets its own copy.
  const args: ValidationArguments = {
    targetName,
    property: '',
    object: NO_OBJECT,
    value: undefined,
    constraints: NO_CONSTRAINTS,
  };
  return (input, unknownField) => {
    let errors: LogEntryFieldError[] | undefined;
    for (const key in input) {
      if (Object.hasOwn(input, key) && !known.has(key)) (errors ??= []).push(unknownField(key));
    }
    args.object = input;
    for (const field of fields) {
      const value = input[field.property];
      if (!conditionsHold(field.conditions, input, value)) continue;
      args.property = field.property;
      args.value = value;
      args.constraints = NO_CONSTRAINTS;
      if (field.required && (value === undefined || value === null)) {
        (errors ??= []).push({ field: field.property, message: field.required.message({ ...args }) });
        continue;
      }
      for (const rule of field.rules) {
        args.constraints = rule.constraints;
        if (!rule.check(value, args)) {
          (errors ??= []).push({ field: field.property, message: rule.message({ ...args }) });
          break;
        }
      }
    }
    // Not kept past the call: a later call must not find this input through the shared arguments.
    args.object = NO_OBJECT;
    args.value = undefined;
    return errors ?? NO_ERRORS;
  };
}

/** Whether every @ValidateIf condition of a field holds (a field without any is always validated). */
function conditionsHold(conditions: readonly Condition[], input: object, value: unknown): boolean {
  for (const condition of conditions) if (!condition(input, value)) return false;
  return true;
}
