import { ValidationError, ValidationTypes, ValidatorOptions, validateSync } from 'class-validator';
import { compileValidator } from './compiled-validator';
import { describeJsonKind, isPlainObject } from './json-attributes';
import { LogEntryDto } from './log-entry.dto';
import { DEFAULT_TENANT, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, TENANT_PATTERN } from './log-entry.limits';
import {
  IngestContext,
  LogEntriesValidation,
  LogBatchFieldError,
  LogBatchValidation,
  LogEntry,
  LogEntryFieldError,
  LogEntryValidation,
} from './log-entry.types';
import { quoteForMessage } from './storable-text';
import { timestampEpochMs } from './timestamp';
import { checkTimeLimits, validateTimeLimits } from './time-limits';

export const ROOT_FIELD = '(root)';
export const DEFAULT_MAX_BATCH_ERRORS = 100;

const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  // Errors are flattened to {field, message}; not copying the target and value saves work per entry.
  validationError: { target: false, value: false },
};

// class-validator finds a DTO's rules through `object.constructor`, so these keys must never become own
// properties of the DTO: `constructor` would hide the class and `__proto__` would replace the prototype.
const UNCOPYABLE_KEYS: readonly string[] = ['__proto__', 'constructor'];

function unknownField(field: string): LogEntryFieldError {
  return { field, message: `unknown field ${quoteForMessage(field)}` };
}

function flatten(errors: ValidationError[], into: LogEntryFieldError[]): void {
  for (const error of errors) {
    const messages = error.constraints === undefined ? [] : Object.entries(error.constraints);
    if (messages.length === 0) continue;
    const [kind, message] = messages[0];
    // class-validator's own wording ("property colour should not exist") is replaced by ours.
    into.push(
      kind === ValidationTypes.WHITELIST ? unknownField(error.property) : { field: error.property, message },
    );
  }
}

function toLogEntry(dto: LogEntryDto, { receivedAtMs, tenant }: IngestContext): LogEntry {
  // Defined whenever the timestamp was: the DTO's @IsLogTimestamp() rule passed on this very value.
  const submitted = dto.timestamp === undefined ? undefined : timestampEpochMs(dto.timestamp);
  return {
    timestamp: submitted ?? receivedAtMs,
    receivedAt: receivedAtMs,
    level: dto.level,
    service: dto.service,
    message: dto.message,
    // The submitted object itself, not a copy: the rules proved it is a bounded tree of plain JSON values.
    attributes: dto.attributes ?? null,
    traceId: dto.trace_id === undefined ? null : dto.trace_id.toLowerCase(),
    spanId: dto.span_id === undefined ? null : dto.span_id.toLowerCase(),
    eventId: dto.id ?? null,
    tenant,
  };
}

/** A bare number is the receipt time of a submission by the default tenant (no API keys configured). */
function toContext(received: number | IngestContext): IngestContext {
  const context =
    typeof received === 'number' ? { receivedAtMs: received, tenant: DEFAULT_TENANT } : received;
  const { receivedAtMs, tenant } = context;
  if (
    !Number.isSafeInteger(receivedAtMs) ||
    receivedAtMs < MIN_TIMESTAMP_MS ||
    receivedAtMs > MAX_TIMESTAMP_MS
  ) {
    throw new RangeError(`receivedAtMs must be integer epoch milliseconds, got ${receivedAtMs}`);
  }
  if (typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant)) {
    throw new RangeError(`tenant must match ${TENANT_PATTERN}, got ${JSON.stringify(tenant)}`);
  }
  if (context.timeLimits !== undefined) validateTimeLimits(context.timeLimits);
  return context;
}

function notAnObject(input: unknown): LogEntryFieldError[] {
  return [{ field: ROOT_FIELD, message: `log entry must be a JSON object (got ${describeJsonKind(input)})` }];
}

// The DTO's decorators compiled once into a plain function (see compiled-validator.ts): same rules,
// same messages, a fraction of validateSync's cost per entry.
const validateFields = compileValidator(LogEntryDto);

/**
 * The entry, or its problems (a non-empty array). Not a LogEntryValidation: the batch loops below call it
 * per entry and have no use for a result object around each entry (issue 14: allocation per entry).
 */
function checkOne(input: unknown, context: IngestContext): LogEntry | LogEntryFieldError[] {
  const errors = fieldProblems(input);
  if (errors !== NO_PROBLEMS) return errors;
  // The rules passed, so the plain object has exactly the DTO's shape.
  const entry = toLogEntry(input as unknown as LogEntryDto, context);
  const outside = outsideTimeLimits(entry.timestamp, context);
  return outside === undefined ? entry : [outside];
}

/** What the checks below return for a valid entry: no array per valid entry. */
const NO_PROBLEMS: LogEntryFieldError[] = [];

/** The DTO's rules on one input: NO_PROBLEMS, or a non-empty array of the caller's own. */
function fieldProblems(input: unknown): LogEntryFieldError[] {
  if (!isPlainObject(input)) return notAnObject(input);
  const errors = validateFields(input, unknownField);
  // A copy only for an invalid entry: the validator's array is not the caller's to change.
  return errors.length > 0 ? [...errors] : NO_PROBLEMS;
}

/** Only a well-formed time can be too old or too new; the compiled validator knows nothing of limits. */
function outsideTimeLimits(timestampMs: number, context: IngestContext): LogEntryFieldError | undefined {
  return context.timeLimits === undefined
    ? undefined
    : checkTimeLimits(timestampMs, context.receivedAtMs, context.timeLimits);
}

/**
 * checkOne's verdict without building the LogEntry (NO_PROBLEMS when the entry is valid): a request
 * whose entries are queued as sent (version 4 values) only needs the verdict.
 */
function problemsOf(input: unknown, context: IngestContext): LogEntryFieldError[] {
  const errors = fieldProblems(input);
  if (errors !== NO_PROBLEMS || context.timeLimits === undefined) return errors;
  // The event time toLogEntry would give the entry.
  const { timestamp } = input as unknown as LogEntryDto;
  const timestampMs =
    (timestamp === undefined ? undefined : timestampEpochMs(timestamp)) ?? context.receivedAtMs;
  const outside = outsideTimeLimits(timestampMs, context);
  return outside === undefined ? NO_PROBLEMS : [outside];
}

/**
 * One entry of a version 4 stream value (queued as the client sent it) as the worker stores it: the same
 * rules and normalisation as at receipt, against the receipt time and tenant the value carries. The time
 * limits are not applied again (they held at receipt; the entry has only aged in the stream since).
 */
export function submittedEntryOf(
  input: unknown,
  received: { receivedAtMs: number; tenant: string },
): LogEntry | LogEntryFieldError[] {
  return checkOne(input, { receivedAtMs: received.receivedAtMs, tenant: received.tenant });
}

function validateOne(input: unknown, context: IngestContext): LogEntryValidation {
  const checked = checkOne(input, context);
  return Array.isArray(checked) ? { ok: false, errors: checked } : { ok: true, entry: checked };
}

/**
 * The same validation through class-validator's validateSync: the reference the compiled validator is
 * tested against (log-entry.compiled.spec.ts). Not used on the request path.
 */
export function validateWithClassValidator(input: unknown): LogEntryFieldError[] {
  if (!isPlainObject(input)) return notAnObject(input);
  // A plain copy instead of class-transformer: the DTO has no nested classes or conversions to apply.
  const dto = new LogEntryDto();
  const errors: LogEntryFieldError[] = [];
  if (UNCOPYABLE_KEYS.some((key) => Object.hasOwn(input, key))) {
    const target = dto as unknown as Record<string, unknown>;
    for (const key of Object.keys(input)) {
      if (UNCOPYABLE_KEYS.includes(key)) errors.push(unknownField(key));
      else target[key] = input[key];
    }
  } else {
    Object.assign(dto, input);
  }
  flatten(validateSync(dto, VALIDATOR_OPTIONS), errors);
  return errors;
}

/**
 * Validates one submitted entry and normalises it. `received` is the receipt time and tenant, or just
 * the receipt time (epoch ms) for the default tenant. Never throws on `input`, whatever it is; throws a
 * RangeError only if the receipt time is not integer epoch milliseconds or the tenant is not a tenant
 * name (caller bugs).
 */
export function validateLogEntry(input: unknown, received: number | IngestContext): LogEntryValidation {
  return validateOne(input, toContext(received));
}

/**
 * Validates each input on its own, as validateLogEntry does, for a request that stores its valid
 * entries and reports the others (OTLP's partial success, Elasticsearch's per-item results, syslog).
 * The receipt time and tenant are checked once for all of them, not once per entry.
 */
export function validateLogEntries(
  inputs: readonly unknown[],
  received: number | IngestContext,
): LogEntriesValidation {
  const context = toContext(received);
  const entries: LogEntry[] = [];
  const rejected: LogEntriesValidation['rejected'] = [];
  for (let index = 0; index < inputs.length; index++) {
    const checked = checkOne(inputs[index], context);
    if (Array.isArray(checked)) rejected.push({ index, errors: checked });
    else entries.push(checked);
  }
  return { entries, rejected };
}

/**
 * Validates a batch: all entries or none. Stops validating once `maxErrors` errors are collected, so a
 * batch of garbage costs little. Every entry gets the same receipt time and tenant.
 */
export function validateLogBatch(
  inputs: readonly unknown[],
  received: number | IngestContext,
  maxErrors: number = DEFAULT_MAX_BATCH_ERRORS,
): LogBatchValidation {
  const context = batchContext(inputs, received, maxErrors);
  const entries: LogEntry[] = [];
  const errors: LogBatchFieldError[] = [];
  for (let index = 0; index < inputs.length && errors.length < maxErrors; index++) {
    const checked = checkOne(inputs[index], context);
    if (!Array.isArray(checked)) {
      if (errors.length === 0) entries.push(checked);
      continue;
    }
    collect(index, checked, errors, maxErrors);
  }
  return errors.length === 0 ? { ok: true, entries } : { ok: false, errors };
}

/**
 * validateLogBatch's verdict without the entries: the same rules, errors and limits, for a batch that
 * is queued as the client sent it (version 4 stream values, see stream-chunks.ts), which needs no
 * LogEntry per entry at receipt (issue 14: allocation per entry).
 */
export function checkLogBatch(
  inputs: readonly unknown[],
  received: number | IngestContext,
  maxErrors: number = DEFAULT_MAX_BATCH_ERRORS,
): { ok: true } | { ok: false; errors: LogBatchFieldError[] } {
  const context = batchContext(inputs, received, maxErrors);
  const errors: LogBatchFieldError[] = [];
  for (let index = 0; index < inputs.length && errors.length < maxErrors; index++) {
    const problems = problemsOf(inputs[index], context);
    if (problems !== NO_PROBLEMS) collect(index, problems, errors, maxErrors);
  }
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}

function batchContext(
  inputs: readonly unknown[],
  received: number | IngestContext,
  maxErrors: number,
): IngestContext {
  const context = toContext(received);
  if (!Array.isArray(inputs)) {
    throw new TypeError('inputs must be an array (check the request body is one before calling)');
  }
  if (!Number.isSafeInteger(maxErrors) || maxErrors < 1) {
    throw new RangeError(`maxErrors must be a positive integer, got ${maxErrors}`);
  }
  return context;
}

/** Adds an entry's problems to a batch's errors, as long as they stay within maxErrors. */
function collect(
  index: number,
  problems: readonly LogEntryFieldError[],
  errors: LogBatchFieldError[],
  maxErrors: number,
): void {
  for (const error of problems) {
    if (errors.length === maxErrors) break;
    errors.push({ index, field: error.field, message: error.message });
  }
}
