import { otlpEncodingOf, UNSUPPORTED_CONTENT_TYPE_MESSAGE } from './otlp-content-type';

describe('otlpEncodingOf', () => {
  it.each([
    ['application/x-protobuf', 'protobuf'],
    ['Application/X-Protobuf', 'protobuf'],
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
  ])('reads %p as %s', (contentType, encoding) => {
    expect(otlpEncodingOf(contentType)).toBe(encoding);
  });

  it.each([undefined, '', 'text/plain', 'application/x-ndjson', 'application/protobuf-ish'])(
    'has no OTLP encoding for %p',
    (contentType) => {
      expect(otlpEncodingOf(contentType)).toBeUndefined();
    },
  );

  it('names both accepted types in the 415 message', () => {
    expect(UNSUPPORTED_CONTENT_TYPE_MESSAGE).toBe(
      'Content-Type must be application/x-protobuf or application/json',
    );
  });
});
