import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_SESSION_KEEPALIVE, MonitorLeadership } from '../../src/node/fleet/monitor-leadership.js';
import { POSTGRES_URL } from './fleet-support.js';

// A leader cut off by silently dropped packets holds the monitor lock for as long as the database
// server keeps its session. The lock connection sets TCP keepalive for its own session, so the server
// probes it after seconds of silence instead of after Linux's default of two hours. Seen here the way
// an operator would check it: the server's socket of that session, in `ss`, has a keepalive timer of
// seconds.

const leaderships: MonitorLeadership[] = [];
afterEach(async () => {
  await Promise.all(leaderships.splice(0).map((leadership) => leadership.close()));
});

/**
 * Seconds left on the keepalive timer of the database server's socket to `clientPort`, from `ss`.
 * Right after the leader's once-a-second query the socket shows its retransmission timer instead
 * ("on") until the client acknowledges: `ss` is read again, up to 30 times, 50 ms apart.
 */
async function serverKeepaliveSeconds(serverPort: number, clientPort: number): Promise<number | undefined> {
  let last = '';
  for (let attempt = 0; attempt < 30; attempt++) {
    const result = spawnSync('ss', ['-tno', 'state', 'established', `( sport = :${serverPort} and dport = :${clientPort} )`], { encoding: 'utf8' });
    expect(result.status, `ss failed (iproute2 is needed): ${result.stderr}`).toBe(0);
    last = result.stdout;
    const match = /timer:\(keepalive,([\d.]+)(ms|sec|min),/.exec(last);
    if (match !== null) {
      const value = Number(match[1]);
      return match[2] === 'ms' ? value / 1000 : match[2] === 'min' ? value * 60 : value;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no keepalive timer on the server's socket to port ${clientPort}; ss said:\n${last}`);
}

describe('the monitor lock connection', () => {
  it('asks the database server to probe its session after seconds of silence, so a silently cut-off leader loses the lock', async () => {
    let leaderPid: number | undefined;
    const leadership = new MonitorLeadership({
      connectionString: POSTGRES_URL,
      schema: `keepalive_${randomUUID().slice(0, 8)}`,
      onLeading: async (pid) => {
        leaderPid = pid;
      },
      onFollowing: async () => undefined,
      logger: pino({ level: 'silent' }),
    });
    leaderships.push(leadership);
    await leadership.start();
    expect(leadership.isLeader).toBe(true);

    const observer = new pg.Client({ connectionString: POSTGRES_URL });
    await observer.connect();
    try {
      const { rows } = await observer.query<{ client_port: number }>('select client_port from pg_stat_activity where pid = $1', [leaderPid]);
      const clientPort = rows[0]?.client_port;
      expect(clientPort, 'the lock session connects over TCP (127.0.0.1) in this test').toBeGreaterThan(0);
      const serverPort = new URL(POSTGRES_URL).port === '' ? 5432 : Number(new URL(POSTGRES_URL).port);
      // Linux's default would show about 120 minutes here.
      expect(await serverKeepaliveSeconds(serverPort, clientPort!)).toBeLessThanOrEqual(LOCK_SESSION_KEEPALIVE.idleS);
    } finally {
      await observer.end();
    }
  });
});
