import { parseTenantRetention, planRetention, TENANT_RETENTION_PATTERN } from './retention-policy';

const DAY = 86_400_000;
const NOW = new Date('2026-11-29T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

describe('retention policy', () => {
  it('reads TENANT_RETENTION pairs as milliseconds', () => {
    expect(parseTenantRetention('acme:7d, globex:90d,initech:0')).toEqual(
      new Map([
        ['acme', 7 * DAY],
        ['globex', 90 * DAY],
        ['initech', 0],
      ]),
    );
    expect(parseTenantRetention(undefined)).toEqual(new Map());
  });

  it('refuses a pair it cannot read, or a tenant named twice, naming it', () => {
    expect(() => parseTenantRetention('acme:7 days')).toThrow(/"acme:7 days"/);
    expect(() => parseTenantRetention('acme:7d,acme:9d')).toThrow(/acme twice/);
    expect(TENANT_RETENTION_PATTERN.test('acme:7d,globex:90d')).toBe(true);
    expect(TENANT_RETENTION_PATTERN.test('acme=7d')).toBe(false);
  });

  it('drops partitions past RETENTION and deletes nothing when no tenant differs', () => {
    expect(planRetention({ defaultMs: 30 * DAY, tenants: new Map() }, NOW)).toEqual({
      dropPartitionsBefore: daysAgo(30),
      deletions: [],
    });
  });

  it('keeps partitions for the longest retention and deletes the shorter ones row by row', () => {
    const plan = planRetention(
      { defaultMs: 30 * DAY, tenants: parseTenantRetention('acme:7d,globex:90d,hooli:7d') },
      NOW,
    );
    expect(plan).toEqual({
      dropPartitionsBefore: daysAgo(90),
      deletions: [
        { tenants: ['acme', 'hooli'], except: false, before: daysAgo(7) },
        // Everyone else keeps RETENTION (30 days): every tenant but the overridden ones.
        { tenants: ['acme', 'globex', 'hooli'], except: true, before: daysAgo(30) },
      ],
    });
  });

  it('keeps every partition when any retention is 0, and still deletes the finite ones', () => {
    expect(planRetention({ defaultMs: 0, tenants: parseTenantRetention('acme:7d') }, NOW)).toEqual({
      dropPartitionsBefore: null,
      deletions: [{ tenants: ['acme'], except: false, before: daysAgo(7) }],
    });
    expect(planRetention({ defaultMs: 30 * DAY, tenants: parseTenantRetention('archive:0') }, NOW)).toEqual({
      dropPartitionsBefore: null,
      deletions: [{ tenants: ['archive'], except: true, before: daysAgo(30) }],
    });
  });
});
