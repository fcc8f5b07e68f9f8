#!/bin/sh
# docker-compose.yml mounts this into /docker-entrypoint-initdb.d: the postgres image runs it once, when
# it initialises an empty volume, as POSTGRES_USER (the owner: it runs the migrations). It creates the
# worker's and the query API's roles (deploy/postgres/create-roles.sql). For a volume initialised before,
# run the same by hand (docs/operations.md, "Database roles").
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_role= -v owner_password= \
  -v writer_role=logpipe_writer -v writer_password="$LOGPIPE_WRITER_PASSWORD" \
  -v reader_role=logpipe_reader -v reader_password="$LOGPIPE_READER_PASSWORD" \
  -f /logpipe/create-roles.sql
