// Custom class-validator rules for what the built-in decorators cannot say. Each rule is one function
// returning the problem (or null); validate() and defaultMessage() both ask it, so the message always
// describes exactly what failed. The second call only happens on failure.
import {
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { attributesProblem } from './json-attributes';
import { TextLimits, textProblem } from './storable-text';
import { parseTimestamp, timestampEpochMs } from './timestamp';

// One rule per field rather than a stack of IsString/Length/...: the first failing check is the one
// reported without relying on decorator order, and class-validator's per-rule overhead (about 4% of
// validation time per rule on a typical entry) is paid once.
@ValidatorConstraint({ name: 'text' })
export class TextConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return textProblem(value, limitsOf(args)) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${textProblem(args.value, limitsOf(args)) ?? 'is invalid'}`;
  }
}

function limitsOf(args: ValidationArguments): TextLimits {
  return args.constraints[0] as TextLimits;
}

@ValidatorConstraint({ name: 'timestamp' })
export class TimestampConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return timestampEpochMs(value) !== undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    const parsed = parseTimestamp(args.value);
    return `${args.property} ${parsed.ok ? 'is invalid' : parsed.problem}`;
  }
}

@ValidatorConstraint({ name: 'attributes' })
export class AttributesConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return attributesProblem(value) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${attributesProblem(args.value) ?? 'is invalid'}`;
  }
}

/** A non-empty string within `limits`, without U+0000 or lone surrogates (PostgreSQL cannot store them). */
export const IsLogText = (limits: TextLimits): PropertyDecorator => Validate(TextConstraint, [limits]);
/** ISO-8601 date-time with a zone, or integer epoch milliseconds, within MIN/MAX_TIMESTAMP_MS. */
export const IsLogTimestamp = (): PropertyDecorator => Validate(TimestampConstraint);
/** A plain JSON object within the attributes limits (size, depth, keys, storable strings). */
export const IsLogAttributes = (): PropertyDecorator => Validate(AttributesConstraint);
