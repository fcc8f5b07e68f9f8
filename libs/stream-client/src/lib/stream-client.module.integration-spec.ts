import { Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { STREAM_CLIENT_OPTIONS, type ResolvedStreamClientOptions } from './stream-client.options';
import { StreamClientModule } from './stream-client.module';
import { StreamConsumer } from './stream-consumer.service';
import { StreamProducer } from './stream-producer.service';
import {
  createInspector,
  deleteKeys,
  SHARED_REDIS_URL,
  uniqueStreamNames,
  type StreamTestNames,
} from './testing/stream-test-names';

jest.setTimeout(20_000);

const SETTINGS = 'TEST_STREAM_SETTINGS';

interface TestSettings {
  url: string;
  names: StreamTestNames;
  connectionName: string;
}

/** Stands in for an app's config module: forRootAsync must be able to inject from it. */
@Module({})
class SettingsModule {
  static with(settings: TestSettings) {
    return {
      module: SettingsModule,
      providers: [{ provide: SETTINGS, useValue: settings }],
      exports: [SETTINGS],
    };
  }
}

/** Like the worker: it still writes and acknowledges while the application is shutting down. */
@Injectable()
class FinishesWorkOnDestroy implements OnModuleDestroy {
  finalAck: number | undefined;

  constructor(
    private readonly producer: StreamProducer,
    private readonly consumer: StreamConsumer,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.consumer.ensureGroup();
    await this.producer.append('written during shutdown');
    const messages = await this.consumer.readNew(10, 500);
    this.finalAck = await this.consumer.ack(messages.map((message) => message.id));
  }
}

async function connectionsNamed(inspector: Redis, prefix: string): Promise<string[]> {
  const clients = (await inspector.client('LIST')) as string;
  return clients
    .split('\n')
    .map((line) => / name=(\S*) /.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name.startsWith(prefix))
    .sort();
}

async function waitForConnections(inspector: Redis, prefix: string, expected: string[]): Promise<string[]> {
  const deadline = Date.now() + 3000;
  let names = await connectionsNamed(inspector, prefix);
  while (JSON.stringify(names) !== JSON.stringify(expected) && Date.now() < deadline) {
    await sleep(50);
    names = await connectionsNamed(inspector, prefix);
  }
  return names;
}

describe('StreamClientModule', () => {
  let inspector: Redis;
  let names: StreamTestNames;
  let connectionName: string;
  let moduleRef: TestingModule | undefined;

  beforeAll(() => {
    inspector = createInspector();
  });

  beforeEach(() => {
    names = uniqueStreamNames();
    connectionName = `test-module-${names.groupName}`;
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await deleteKeys(inspector, names);
  });

  afterAll(async () => {
    await inspector.quit();
  });

  it('forRoot provides resolved options, a producer and a consumer, and closes their connections on close()', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        StreamClientModule.forRoot({
          redisUrl: SHARED_REDIS_URL,
          ...names,
          connectionName,
          consumerName: 'module-c1',
        }),
      ],
      providers: [FinishesWorkOnDestroy],
    }).compile();
    await moduleRef.init();

    const options = moduleRef.get<ResolvedStreamClientOptions>(STREAM_CLIENT_OPTIONS);
    const producer = moduleRef.get(StreamProducer);
    const consumer = moduleRef.get(StreamConsumer);
    expect(options).toMatchObject({ ...names, consumerName: 'module-c1', commandTimeoutMs: 1000 });
    expect(producer.isReady).toBe(true);
    expect(consumer.consumerName).toBe('module-c1');

    await consumer.ensureGroup();
    expect(await consumer.readNew(1, 0)).toEqual([]);
    const roles = ['consumer', 'consumer-blocking', 'producer'].map((role) => `${connectionName}-${role}`);
    expect(await waitForConnections(inspector, connectionName, roles)).toEqual(roles);

    const finisher = moduleRef.get(FinishesWorkOnDestroy);
    await moduleRef.close();
    moduleRef = undefined;

    // The shutdown work in onModuleDestroy still had Redis; only afterwards were connections closed.
    expect(finisher.finalAck).toBe(1);
    expect(await waitForConnections(inspector, connectionName, [])).toEqual([]);
    expect(producer.isReady).toBe(false);
  });

  it('forRootAsync builds the options from injected providers and applies the defaults', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        StreamClientModule.forRootAsync({
          imports: [SettingsModule.with({ url: SHARED_REDIS_URL, names, connectionName })],
          inject: [SETTINGS],
          useFactory: async (settings: TestSettings) => ({
            redisUrl: settings.url,
            streamKey: settings.names.streamKey,
            groupName: settings.names.groupName,
            connectionName: settings.connectionName,
          }),
        }),
      ],
    }).compile();
    await moduleRef.init();

    const options = moduleRef.get<ResolvedStreamClientOptions>(STREAM_CLIENT_OPTIONS);
    expect(options).toMatchObject({
      streamKey: names.streamKey,
      groupName: names.groupName,
      deadLetterStreamKey: 'logs:dead',
    });
    expect(options.consumerName).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));

    const consumer = moduleRef.get(StreamConsumer);
    await consumer.ensureGroup();
    const id = await moduleRef.get(StreamProducer).append('via forRootAsync');
    expect(await consumer.readNew(10, 1000)).toEqual([{ id, payload: 'via forRootAsync', deliveryCount: 1 }]);

    await moduleRef.close();
    moduleRef = undefined;
    expect(await waitForConnections(inspector, connectionName, [])).toEqual([]);
  });

  it('refuses to start with invalid options, naming the option', async () => {
    await expect(
      Test.createTestingModule({
        imports: [
          StreamClientModule.forRootAsync({
            useFactory: () => ({ redisUrl: SHARED_REDIS_URL, commandTimeoutMs: -5 }),
          }),
        ],
      }).compile(),
    ).rejects.toThrow(/commandTimeoutMs/);
  });
});
