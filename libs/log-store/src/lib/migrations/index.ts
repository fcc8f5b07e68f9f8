import { CreateLogsTable1795651200000 } from './1795651200000-create-logs-table';
import { AddTenantAndReadIndexes1795737600000 } from './1795737600000-add-tenant-and-read-indexes';
import { MessageStatistics1795824000000 } from './1795824000000-message-statistics';
import { PartitionLogsByTime1795910400000 } from './1795910400000-partition-logs-by-time';
import { ConsoleReadIndex1795953600000 } from './1795953600000-console-read-index';
import { LogCountsRollup1795996800000 } from './1795996800000-log-counts-rollup';
import { TenantRowSecurity1796083200000 } from './1796083200000-tenant-row-security';
import { LogCountsFollowRetention1796169600000 } from './1796169600000-log-counts-follow-retention';
import { IndexDiet1796256000000 } from './1796256000000-index-diet';
import { WidenStreamId1796299200000 } from './1796299200000-widen-stream-id';
import { MessageIndexPerWriteLane1796342400000 } from './1796342400000-message-index-per-write-lane';
import { PrimaryKeyOnStreamPosition1796385600000 } from './1796385600000-primary-key-on-stream-position';
import { OpenPartitionsWithoutInsertVacuum1796428800000 } from './1796428800000-open-partitions-without-insert-vacuum';
import { HoldPartitionsWhileTheyFill1796472000000 } from './1796472000000-hold-partitions-while-they-fill';

/** Every migration, in order. Listed explicitly: bundlers cannot follow a glob. */
export const LOG_STORE_MIGRATIONS = [
  CreateLogsTable1795651200000,
  AddTenantAndReadIndexes1795737600000,
  MessageStatistics1795824000000,
  PartitionLogsByTime1795910400000,
  ConsoleReadIndex1795953600000,
  LogCountsRollup1795996800000,
  TenantRowSecurity1796083200000,
  LogCountsFollowRetention1796169600000,
  IndexDiet1796256000000,
  WidenStreamId1796299200000,
  MessageIndexPerWriteLane1796342400000,
  PrimaryKeyOnStreamPosition1796385600000,
  OpenPartitionsWithoutInsertVacuum1796428800000,
  HoldPartitionsWhileTheyFill1796472000000,
];
