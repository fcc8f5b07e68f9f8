import { type DynamicModule, type FactoryProvider, Module, type ModuleMetadata } from '@nestjs/common';
import { LOG_QUERY_OPTIONS, type LogQueryOptions } from './log-query.options';
import { LogQueryService } from './log-query.service';

export interface LogQueryModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: FactoryProvider['inject'];
  useFactory: FactoryProvider<LogQueryOptions>['useFactory'];
}

/** The read side of `logs`: LogQueryService over its own small, statement-timed pool. */
@Module({})
export class LogQueryModule {
  static forRootAsync(options: LogQueryModuleAsyncOptions): DynamicModule {
    return {
      module: LogQueryModule,
      imports: options.imports ?? [],
      providers: [
        { provide: LOG_QUERY_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        LogQueryService,
      ],
      exports: [LogQueryService],
    };
  }
}
