import { CreateLogsTable1795651200000 } from './1795651200000-create-logs-table';
import { AddTenantAndReadIndexes1795737600000 } from './1795737600000-add-tenant-and-read-indexes';
import { MessageStatistics1795824000000 } from './1795824000000-message-statistics';
import { ConsoleReadIndex1795910400000 } from './1795910400000-console-read-index';
import { LogCountsRollup1795996800000 } from './1795996800000-log-counts-rollup';

/** Every migration, in order. Listed explicitly: bundlers cannot follow a glob. */
export const LOG_STORE_MIGRATIONS = [
  CreateLogsTable1795651200000,
  AddTenantAndReadIndexes1795737600000,
  MessageStatistics1795824000000,
  ConsoleReadIndex1795910400000,
  LogCountsRollup1795996800000,
];
