import type { PoolConfig } from '../config/index.js';
import { RequestKey, type PickRequest } from '../balance/index.js';
import { NO_SAMPLE_KEY, sampleKeySpecOf } from '../telemetry/index.js';

// The key of a request as the request sample records it (telemetry/request-sample.ts): the hash of
// whatever the pool's balancer looks at, computed in place over the request's strings (RequestKey
// slices nothing), so recording a pick allocates nothing. Built once per pool per snapshot.

export class SampleKey {
  private readonly key: RequestKey | undefined;
  /** For persistence cookies, whose values many clients share: the source address is hashed in. */
  private readonly sourceIpKey: RequestKey | undefined;

  constructor(pool: PoolConfig) {
    const spec = sampleKeySpecOf(pool);
    this.key = spec.kind === 'none' ? undefined : new RequestKey(spec.kind, spec.name);
    this.sourceIpKey = spec.mixesSourceIp ? new RequestKey('source_ip', '') : undefined;
  }

  /** Unsigned 32-bit hash of the request's key, or NO_SAMPLE_KEY when it has none. */
  hash(request: PickRequest): number {
    const key = this.key;
    if (key === undefined) return NO_SAMPLE_KEY;
    const seed = this.sourceIpKey === undefined ? 0 : this.sourceIpKey.hash(request, 0);
    const hash = key.hash(request, seed);
    return hash < 0 ? NO_SAMPLE_KEY : hash;
  }
}
