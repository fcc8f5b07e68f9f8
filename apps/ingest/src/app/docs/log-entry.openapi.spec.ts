import { LogEntryDto } from '@logpipe/log-schema';
import { IsEmail } from 'class-validator';
import { schemaOfDto } from './dto-schema';
import { logEntrySchema } from './log-entry.openapi';

describe('LogEntry OpenAPI schema', () => {
  const schema = logEntrySchema() as {
    properties: Record<string, Record<string, unknown>>;
    required: string[];
    additionalProperties: boolean;
  };

  it('is generated from every rule of the DTO: the documented fields are the validated ones', () => {
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['attributes', 'id', 'level', 'message', 'service', 'span_id', 'timestamp', 'trace_id'].sort(),
    );
    expect(schema.required.sort()).toEqual(['level', 'message', 'service']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(new LogEntryDto())).toEqual([]);
  });

  it('carries the limits the rules enforce', () => {
    expect(schema.properties['level']).toMatchObject({
      enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
    });
    expect(schema.properties['service']).toMatchObject({ type: 'string', minLength: 1, maxLength: 128 });
    expect(schema.properties['message']).toMatchObject({
      type: 'string',
      minLength: 1,
      'x-max-utf8-bytes': 65536,
    });
    expect(schema.properties['trace_id']).toMatchObject({ pattern: '^[0-9a-fA-F]{32}$' });
    expect(schema.properties['id']).toMatchObject({ pattern: '^[A-Za-z0-9._:-]{1,128}$' });
    expect(schema.properties['timestamp']).toHaveProperty('oneOf');
  });

  it('refuses to document a rule it has no mapping for, instead of leaving it out', () => {
    class WithEmail {
      @IsEmail() contact!: string;
    }
    expect(() => schemaOfDto(WithEmail, {})).toThrow(
      'no OpenAPI mapping for the validation rule "isEmail" of WithEmail.contact',
    );
  });
});
