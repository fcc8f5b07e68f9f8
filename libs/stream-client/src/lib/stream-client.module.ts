import {
  Module,
  type DynamicModule,
  type FactoryProvider,
  type ModuleMetadata,
  type Provider,
} from '@nestjs/common';
import {
  resolveStreamClientOptions,
  STREAM_CLIENT_OPTIONS,
  type ResolvedStreamClientOptions,
  type StreamClientOptions,
} from './stream-client.options';
import { DeadLetters } from './dead-letters.service';
import { StreamConsumer } from './stream-consumer.service';
import { StreamProducer } from './stream-producer.service';
import { StreamTail } from './stream-tail.service';

export interface StreamClientAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: FactoryProvider['inject'];
  useFactory: FactoryProvider<StreamClientOptions>['useFactory'];
}

const services: Provider[] = [StreamProducer, StreamConsumer, DeadLetters, StreamTail];
const exported = [STREAM_CLIENT_OPTIONS, StreamProducer, StreamConsumer, DeadLetters, StreamTail];

/**
 * Registers StreamProducer, StreamConsumer, DeadLetters and StreamTail once for the whole application (global). Each opens its
 * connections lazily and closes them in onApplicationShutdown, after the app's own
 * onModuleDestroy/beforeApplicationShutdown hooks have finished the work in flight.
 */
@Module({})
export class StreamClientModule {
  static forRoot(options: StreamClientOptions): DynamicModule {
    return {
      module: StreamClientModule,
      global: true,
      providers: [
        { provide: STREAM_CLIENT_OPTIONS, useValue: resolveStreamClientOptions(options) },
        ...services,
      ],
      exports: exported,
    };
  }

  static forRootAsync(options: StreamClientAsyncOptions): DynamicModule {
    return {
      module: StreamClientModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: STREAM_CLIENT_OPTIONS,
          inject: options.inject ?? [],
          useFactory: async (...args: unknown[]): Promise<ResolvedStreamClientOptions> =>
            resolveStreamClientOptions(await options.useFactory(...args)),
        },
        ...services,
      ],
      exports: exported,
    };
  }
}
