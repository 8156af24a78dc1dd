/**
 * A transaction-coordinator cache for kafkajs 2.2.4. Its cluster object sends
 * a FindCoordinator request every time a coordinator is needed, with no
 * cache: a transaction (AddPartitionsToTxn, the produce, AddOffsetsToTxn,
 * TxnOffsetCommit, EndTxn) asks four times, so it costs nine round trips
 * where Kafka's Java producer, which keeps a coordinator until an error says
 * it moved, needs five.
 *
 * {@linkcode cacheCoordinators} wraps the cluster factory of a kafkajs client
 * so that every cluster it makes (each producer, consumer and admin has its
 * own) keeps the answer for a transactional id's coordinator for `ttlMs`:
 * three of the four lookups go (nine round trips down to six). An entry is
 * dropped at once when the lookup fails and whenever the cluster refreshes
 * its metadata (kafkajs does so after connection errors and unknown brokers),
 * and it never outlives `ttlMs`. A transaction that meets a coordinator which
 * moved fails; airq's transactional producers then abort, close the producer
 * and re-read the partition (lib/kafka/transactions.ts), and the new producer
 * starts with an empty cache. A consumer group's coordinator is not cached:
 * kafkajs answers NOT_COORDINATOR on TxnOffsetCommit (a group whose
 * coordinator is still loading) by looking it up again and retrying, which a
 * cached answer would turn into retries at the same broker.
 *
 * The factory is a private member of kafkajs's client (a symbol described
 * `private:Kafka:createCluster`); if a kafkajs version lacks it, nothing is
 * wrapped and {@linkcode cacheCoordinators} returns false, which a test holds.
 *
 * @module
 */

/** The part of kafkajs's cluster that the cache wraps. */
interface ClusterLike {
  findGroupCoordinatorMetadata(
    args: { groupId: string; coordinatorType?: number },
  ): Promise<unknown>;
  refreshMetadata(...args: unknown[]): Promise<unknown>;
}

/** Counters of one client's coordinator lookups (for tests and benchmarks). */
export interface CoordinatorStats {
  /** Lookups answered from the cache. */
  hits: number;
  /** FindCoordinator requests sent. */
  lookups: number;
}

const FACTORY = "private:Kafka:createCluster";

/** kafkajs's coordinator type of a transactional id (a consumer group's is 0). */
const TRANSACTION = 1;

/**
 * Makes every cluster of `client` cache coordinator lookups for `ttlMs`.
 * Returns false (and changes nothing) when `client` has no cluster factory.
 */
export function cacheCoordinators(
  client: object,
  ttlMs: number,
  stats: CoordinatorStats = { hits: 0, lookups: 0 },
): boolean {
  const key = Object.getOwnPropertySymbols(client).find((s) => s.description === FACTORY);
  if (key === undefined) return false;
  const holder = client as Record<symbol, unknown>;
  const create = holder[key];
  if (typeof create !== "function") return false;
  holder[key] = (...args: unknown[]) => {
    const cluster = create(...args) as ClusterLike;
    wrapCluster(cluster, ttlMs, stats);
    return cluster;
  };
  return true;
}

function wrapCluster(cluster: ClusterLike, ttlMs: number, stats: CoordinatorStats): void {
  const find = cluster.findGroupCoordinatorMetadata.bind(cluster);
  const refresh = cluster.refreshMetadata.bind(cluster);
  const cache = new Map<string, { at: number; answer: Promise<unknown> }>();
  cluster.findGroupCoordinatorMetadata = (args) => {
    if (args.coordinatorType !== TRANSACTION) return find(args);
    const id = args.groupId;
    const now = performance.now();
    const cached = cache.get(id);
    if (cached !== undefined && now - cached.at < ttlMs) {
      stats.hits++;
      return cached.answer;
    }
    stats.lookups++;
    const answer = find(args);
    const entry = { at: now, answer };
    cache.set(id, entry);
    answer.catch(() => {
      if (cache.get(id) === entry) cache.delete(id);
    });
    return answer;
  };
  cluster.refreshMetadata = (...args) => {
    cache.clear();
    return refresh(...args);
  };
}
