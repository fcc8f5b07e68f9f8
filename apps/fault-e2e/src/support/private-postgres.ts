// The private PostgreSQL helper moved to @logpipe/e2e-support (the replica suite shares it).
export { PrivatePostgres } from '@logpipe/e2e-support';
