// Limits of a submitted log entry. Ingest, worker and the database schema all size things from these.

/** service length in UTF-16 code units; never more code points than that, so it fits a varchar(128). */
export const MAX_SERVICE_LENGTH = 128;
/** message size in UTF-8 bytes (64 KiB). */
export const MAX_MESSAGE_BYTES = 65_536;
/** attributes size in UTF-8 bytes of its JSON serialisation (16 KiB). */
export const MAX_ATTRIBUTES_BYTES = 16_384;
/** Levels of objects/arrays in attributes, the attributes object itself being level 1. */
export const MAX_ATTRIBUTES_DEPTH = 8;
export const MAX_EVENT_ID_LENGTH = 128;

// No `g` flag on any pattern: a global RegExp keeps lastIndex between test() calls.
export const EVENT_ID_PATTERN = new RegExp(`^[A-Za-z0-9._:-]{1,${MAX_EVENT_ID_LENGTH}}$`);
export const TRACE_ID_PATTERN = /^[0-9a-fA-F]{32}$/;
export const SPAN_ID_PATTERN = /^[0-9a-fA-F]{16}$/;

/** Tenant names come from the API key configuration, never from a client; they fit the varchar(64) column. */
export const MAX_TENANT_LENGTH = 64;
export const TENANT_PATTERN = new RegExp(`^[A-Za-z0-9._-]{1,${MAX_TENANT_LENGTH}}$`);
/** The tenant of every entry when no API keys are configured, and of entries written before tenants existed. */
export const DEFAULT_TENANT = 'default';

/** 1970-01-01T00:00:00.000Z */
export const MIN_TIMESTAMP_MS = 0;
/** 9999-12-31T23:59:59.999Z, the last instant a four-digit ISO-8601 year can name. */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;
