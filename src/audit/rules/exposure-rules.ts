import { helpUriOf, type AuditRule, type RuleHit } from './rule.js';

// EK5xx: admin interfaces. A stats page or runtime socket open to the network lets anyone drain or
// re-weight servers: the 2024-05-01 weights were changed by a script nobody reviewed.

export const exposedAdminWithoutAuth: AuditRule = {
  id: 'EK501',
  name: 'exposed-admin-without-auth',
  defaultSeverity: 'error',
  summary: 'An admin or status interface listens beyond loopback without authentication.',
  helpUri: helpUriOf('EK501'),
  thresholds: {},
  check(config) {
    return config.admin
      .filter((admin) => !admin.isLoopbackOnly && !admin.hasAuthentication)
      .map((admin): RuleHit => ({
        message: `${admin.kind} on ${admin.address} is reachable beyond loopback without authentication${admin.canChangeState ? ', and it can change server state' : ''}`,
        hint: admin.kind === 'haproxy-runtime-socket' ? 'bind the socket to a path or 127.0.0.1 and lower it to `level operator`' : admin.kind.startsWith('nginx') ? 'add `allow 127.0.0.1; deny all;` or `auth_basic` to the location' : 'bind it to 127.0.0.1 or add `stats auth USER:PASSWORD`',
        at: admin.at,
      }));
  },
};

export const exposedAdminCanChangeState: AuditRule = {
  id: 'EK502',
  name: 'exposed-admin-can-change-state',
  defaultSeverity: 'warning',
  summary: 'An authenticated admin interface that can change server state listens beyond loopback.',
  helpUri: helpUriOf('EK502'),
  thresholds: {},
  check(config) {
    return config.admin
      .filter((admin) => !admin.isLoopbackOnly && admin.hasAuthentication && admin.canChangeState)
      .map((admin): RuleHit => ({
        message: `${admin.kind} on ${admin.address} can change server state and is reachable beyond loopback; one leaked credential re-weights or drains the fleet`,
        hint: admin.kind === 'evenkeel-admin' ? 'bind admin.listen to 127.0.0.1 and reach it through SSH or a private network' : 'bind it to 127.0.0.1 or a private address, or drop the write/admin level',
        at: admin.at,
      }));
  },
};
