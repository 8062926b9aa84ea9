import { ClusterLeaseEntity } from '../../src/cluster/cluster-lease.entity';
import { ClusterLeasesRepository } from '../../src/cluster/cluster-leases.repository';
import { type PostgresInstances, startPostgresInstances } from '../utils/postgres-instances';
import { describeOnPostgres } from '../utils/test-database';

const at = (ms: number): Date => new Date(ms);

/** The claims the instances coordinate with, raced from two connection pools ("instances") on one database. */
describeOnPostgres('cluster leases')('cluster leases on PostgreSQL', () => {
  let pg: PostgresInstances;
  let a: ClusterLeasesRepository;
  let b: ClusterLeasesRepository;

  beforeAll(async () => {
    pg = await startPostgresInstances('tenantry_cluster_leases_e2e', 2);
    [a, b] = pg.instances.map(
      (instance) => new ClusterLeasesRepository(instance.getRepository(ClusterLeaseEntity)),
    );
  });

  afterAll(() => pg.close());

  it('grants a free name to exactly one of many racing instances', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (index % 2 === 0 ? a : b).acquire('tick:race@1', `owner-${index}`, at(1000), at(61_000)),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('renews for its holder, refuses others until it expires, then hands it over', async () => {
    expect(await a.acquire('token-mint:x', 'one', at(1000), at(5000))).toBe(true);
    expect(await b.acquire('token-mint:x', 'two', at(2000), at(6000))).toBe(false);
    expect(await a.acquire('token-mint:x', 'one', at(3000), at(7000))).toBe(true);
    expect(await b.acquire('token-mint:x', 'two', at(6999), at(9000))).toBe(false);
    expect(await b.acquire('token-mint:x', 'two', at(7001), at(9000))).toBe(true);
    // The former holder's release no longer touches the new holder's claim.
    await a.release('token-mint:x', 'one');
    expect(await a.acquire('token-mint:x', 'one', at(8000), at(9000))).toBe(false);
    await b.release('token-mint:x', 'two');
    expect(await a.acquire('token-mint:x', 'one', at(8000), at(9000))).toBe(true);
  });

  it('counts live heartbeats by prefix and prunes the expired', async () => {
    await a.acquire('instance:a', 'a', at(10_000), at(16_000));
    await b.acquire('instance:b', 'b', at(10_000), at(12_000));
    expect(await a.countLive('instance:', at(11_000))).toBe(2);
    expect(await a.countLive('instance:', at(13_000))).toBe(1);
    expect(await b.pruneExpiredBefore(at(13_000))).toBeGreaterThanOrEqual(1);
    expect(await b.countLive('instance:', at(0))).toBe(1);
  });
});
