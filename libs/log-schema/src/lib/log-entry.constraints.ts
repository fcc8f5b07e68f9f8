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
import { fitsUtf8Bytes, unstorableTextProblem, utf8ByteLength } from './storable-text';
import { parseTimestamp } from './timestamp';

@ValidatorConstraint({ name: 'timestamp' })
export class TimestampConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return parseTimestamp(value).ok;
  }

  defaultMessage(args: ValidationArguments): string {
    const parsed = parseTimestamp(args.value);
    return `${args.property} ${parsed.ok ? 'is invalid' : parsed.problem}`;
  }
}

@ValidatorConstraint({ name: 'maxUtf8Bytes' })
export class MaxUtf8BytesConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return typeof value === 'string' && fitsUtf8Bytes(value, maxOf(args));
  }

  defaultMessage(args: ValidationArguments): string {
    const got = typeof args.value === 'string' ? ` (got ${utf8ByteLength(args.value)})` : '';
    return `${args.property} must be at most ${maxOf(args)} bytes of UTF-8${got}`;
  }
}

function maxOf(args: ValidationArguments): number {
  return args.constraints[0] as number;
}

@ValidatorConstraint({ name: 'storableText' })
export class StorableTextConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && unstorableTextProblem(value) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    const problem = typeof args.value === 'string' ? unstorableTextProblem(args.value) : null;
    return `${args.property} ${problem ?? 'must be a string'}`;
  }
}

@ValidatorConstraint({ name: 'jsonAttributes' })
export class JsonAttributesConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return attributesProblem(value) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${attributesProblem(args.value) ?? 'is invalid'}`;
  }
}

/** ISO-8601 date-time with a zone, or integer epoch milliseconds, within MIN/MAX_TIMESTAMP_MS. */
export const IsLogTimestamp = (): PropertyDecorator => Validate(TimestampConstraint);
/** At most `max` bytes once encoded as UTF-8. */
export const MaxUtf8Bytes = (max: number): PropertyDecorator => Validate(MaxUtf8BytesConstraint, [max]);
/** A string PostgreSQL can store: no U+0000, no lone surrogate. */
export const IsStorableText = (): PropertyDecorator => Validate(StorableTextConstraint);
/** A plain JSON object within the attributes limits (size, depth, keys, storable strings). */
export const IsLogAttributes = (): PropertyDecorator => Validate(JsonAttributesConstraint);
