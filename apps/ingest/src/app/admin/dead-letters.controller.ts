import { prepareDeadLetterReplay } from '@logpipe/log-schema';
import {
  DEAD_LETTER_ID_PATTERN,
  DeadLetters,
  type DeadLetter,
  type DeadLetterSelector,
  type DeadLetterSummary,
  type ReplayResult,
} from '@logpipe/stream-client';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { RequestError } from '../http/request-errors';
import { AdminKeyGuard } from './admin-key.guard';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** `{ids: [...]}`, `{reason: "..."}` or `{all: true}`: exactly one of them. */
export function selectorOf(input: { ids?: unknown; reason?: unknown; all?: unknown }): DeadLetterSelector {
  const given = (['ids', 'reason', 'all'] as const).filter((name) => input[name] !== undefined);
  if (given.length !== 1) {
    throw new RequestError(400, 'name the dead letters with exactly one of ids, reason or all');
  }
  if (input.ids !== undefined) {
    const ids = Array.isArray(input.ids) ? input.ids : [input.ids];
    if (ids.length === 0 || !ids.every((id) => typeof id === 'string' && DEAD_LETTER_ID_PATTERN.test(id))) {
      throw new RequestError(
        400,
        'ids must be a non-empty list of dead-letter stream ids like 1764460800000-0 (s1:1764460800000-0 when sharded)',
      );
    }
    return { ids: ids as string[] };
  }
  if (input.reason !== undefined) {
    if (typeof input.reason !== 'string' || input.reason === '') {
      throw new RequestError(400, 'reason must be a non-empty string (the start of a reason)');
    }
    return { reason: input.reason };
  }
  if (input.all !== true && input.all !== 'true') throw new RequestError(400, 'all must be true');
  return { all: true };
}

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RequestError(400, `limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

/**
 * The dead-letter stream for operators (the same operations as `logpipe dead ...`): list with counts by
 * reason, show one, replay, purge. Behind the admin key (AdminKeyGuard), not a tenant key: dead letters
 * belong to every tenant. @Public() only lifts the tenant guard; the admin guard still applies.
 */
@Public()
@UseGuards(AdminKeyGuard)
@ApiExcludeController()
@Controller('api/admin/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLetters) {}

  @Get()
  async list(
    @Query('limit') limit?: string,
    @Query('after') after?: string,
    @Query('reason') reason?: string,
  ): Promise<DeadLetterSummary & { entries: DeadLetter[]; next: string | null }> {
    if (after !== undefined && !DEAD_LETTER_ID_PATTERN.test(after)) {
      throw new RequestError(
        400,
        'after must be a dead-letter stream id like 1764460800000-0 (s1:1764460800000-0 when sharded)',
      );
    }
    const page = await this.deadLetters.list({ count: limitOf(limit), after, reason: reason || undefined });
    return { ...(await this.deadLetters.summary()), ...page };
  }

  @Get(':id')
  async show(@Param('id') id: string): Promise<DeadLetter> {
    const letter = await this.deadLetters.get(id);
    if (letter === null) throw new RequestError(404, `no dead letter ${id}`);
    return letter;
  }

  /** Body: `{"ids": [...]}` | `{"reason": "..."}` | `{"all": true}`, and `"keep": true` to leave them in place. */
  @Post('replay')
  @HttpCode(200)
  async replay(@Body() body: unknown): Promise<ReplayResult> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new RequestError(
        400,
        'the body must be a JSON object: {"ids": [...]} | {"reason": "..."} | {"all": true}',
      );
    }
    const { keep, ...rest } = body as Record<string, unknown>;
    if (keep !== undefined && typeof keep !== 'boolean')
      throw new RequestError(400, 'keep must be true or false');
    return this.deadLetters.replay(
      selectorOf(rest),
      (letter) => prepareDeadLetterReplay(letter.payload, letter.id),
      {
        keep: keep === true,
      },
    );
  }

  /** `?id=...&id=...` | `?reason=...` | `?all=true`. */
  @Delete()
  async purge(
    @Query('id') ids?: string | string[],
    @Query('reason') reason?: string,
    @Query('all') all?: string,
  ): Promise<{ purged: number }> {
    return { purged: await this.deadLetters.purge(selectorOf({ ids, reason, all })) };
  }

  @Delete(':id')
  async purgeOne(@Param('id') id: string): Promise<{ purged: number }> {
    const purged = await this.deadLetters.purge(selectorOf({ ids: id }));
    if (purged === 0) throw new RequestError(404, `no dead letter ${id}`);
    return { purged };
  }
}
