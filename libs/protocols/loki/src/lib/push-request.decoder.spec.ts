import { encodePushBody } from '../test-support/push-encoder';
import { LokiPushError } from './loki-push.error';
import { decodeLokiPush } from './push-request.decoder';

const OPTIONS = { maxBodyBytes: 1024 * 1024 };
const JSON_BODY = Buffer.from('{"streams":[{"stream":{"job":"j"},"values":[["1000000","x"]]}]}');
const PROTO_BODY = encodePushBody([
  { labels: '{job="j"}', entries: [{ timestamp: { seconds: 0, nanos: 1_000_000 }, line: 'x' }] },
]);

describe('decodeLokiPush: the format by Content-Type, as Loki reads it', () => {
  it.each([
    ['application/json', JSON_BODY],
    ['Application/JSON; charset=utf-8', JSON_BODY],
    ['application/x-protobuf', PROTO_BODY],
    [undefined, PROTO_BODY],
  ])('reads %s', (contentType, body) => {
    const request = decodeLokiPush(body, contentType, OPTIONS);
    expect(request.streams[0].entries).toEqual([{ epochMs: 1, line: 'x', metadata: undefined }]);
  });

  it('refuses another content type with a 415 naming the two formats', () => {
    const error = (() => {
      try {
        return decodeLokiPush(JSON_BODY, 'text/plain', OPTIONS);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(LokiPushError);
    expect(error).toMatchObject({
      status: 415,
      message:
        'unsupported Content-Type "text/plain": send application/x-protobuf (snappy-compressed PushRequest) or application/json',
    });
  });
});
