import { IsBoolean, IsInt, IsString, Max, Min } from 'class-validator';
import { EnvBoolean, EnvDuration, parseDuration } from './env-transforms';
import { EnvironmentValidationError, validateEnvironment } from './validate-environment';

class ExampleEnv {
  @IsInt() @Min(1) @Max(65535) PORT: number = 3000;
  @IsString() REDIS_URL: string = 'redis://127.0.0.1:6379';
  @EnvBoolean() @IsBoolean() DB_MIGRATE: boolean = false;
  @EnvDuration() @IsInt() @Min(0) RETENTION: number = 30 * 86_400_000;
}

describe('validateEnvironment', () => {
  const validate = validateEnvironment(ExampleEnv);

  it('applies defaults when variables are unset', () => {
    const config = validate({});
    expect(config).toEqual(Object.assign(new ExampleEnv(), { PORT: 3000, DB_MIGRATE: false }));
  });

  it('converts strings to the declared types', () => {
    const config = validate({ PORT: '8080', DB_MIGRATE: 'true', UNRELATED: 'x' });
    expect(config.PORT).toBe(8080);
    expect(config.DB_MIGRATE).toBe(true);
  });

  it.each(['false', '0', 'no', 'off'])('reads DB_MIGRATE=%s as false', (word) => {
    expect(validate({ DB_MIGRATE: word }).DB_MIGRATE).toBe(false);
  });

  it('names every bad variable and its value in one error', () => {
    let thrown: unknown;
    try {
      validate({ PORT: '70000', DB_MIGRATE: 'maybe' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EnvironmentValidationError);
    const message = (thrown as Error).message;
    expect(message).toContain('PORT=70000');
    expect(message).toContain('DB_MIGRATE="maybe"');
    expect((thrown as EnvironmentValidationError).problems).toHaveLength(2);
  });

  it('rejects a non-numeric port by name', () => {
    expect(() => validate({ PORT: 'eighty' })).toThrow(/PORT=/);
  });

  it('reads durations as milliseconds, and names one it cannot read', () => {
    expect(validate({ RETENTION: '7d' }).RETENTION).toBe(7 * 86_400_000);
    expect(validate({ RETENTION: '0' }).RETENTION).toBe(0);
    expect(validate({ RETENTION: '2592000000' }).RETENTION).toBe(2_592_000_000);
    expect(() => validate({ RETENTION: '30 days' })).toThrow(/RETENTION="30 days"/);
    expect(['45s', '90m', '12h', '2w', '250ms', '1.5d', 'soon', '-1d'].map(parseDuration)).toEqual([
      45_000,
      5_400_000,
      43_200_000,
      1_209_600_000,
      250,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
