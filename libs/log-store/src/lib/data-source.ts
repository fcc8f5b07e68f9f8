// Entry point for the TypeORM CLI (migration:run / migration:show / migration:generate).
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createDataSourceOptions } from './data-source-options';

export default new DataSource(
  createDataSourceOptions({
    url: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    schema: process.env['DB_SCHEMA'] ?? 'public',
  }),
);
