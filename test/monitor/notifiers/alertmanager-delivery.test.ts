import { afterEach, describe, expect, it } from 'vitest';
import { AlertDelivery, toAlertmanagerAlert, type AlertmanagerAlert } from '../../../src/monitor/notifiers/index.js';
import { ReceivingServer, monitorConfig, recordingLogger, skewAlert, transitionTo, T0 } from './delivery-fixture.js';

const servers: ReceivingServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A delivery to one Alertmanager with a clock the test moves. */
async function deliveryToAlertmanager(respond?: () => number) {
  const server = await ReceivingServer.start(respond);
  servers.push(server);
  const clock = { nowMs: T0 };
  const logger = recordingLogger();
  const base = server.url.replace(/\/hook$/, '/');
  const delivery = new AlertDelivery({
    config: () => monitorConfig({ alertmanagers: [{ url: base, resend: '30s' }] }),
    logger,
    now: () => clock.nowMs,
    instance: 'node-a',
    retryBaseDelayMs: 10,
  });
  return { server, delivery, clock, logger };
}

function sentAlerts(server: ReceivingServer): AlertmanagerAlert[][] {
  return server.requests.map((request) => JSON.parse(request.body) as AlertmanagerAlert[]);
}

describe('Alertmanager delivery', () => {
  it('labels identify the alert and annotations carry the diagnosis, causes and action', () => {
    const alert = skewAlert('firing', {
      actions: [{ kind: 'rollback', at: T0 + 20_000, summary: 'rolled back change 42: version 7 restored as version 9 (change 43)', changeId: 42 }],
    });
    const sent = toAlertmanagerAlert(alert, 'node-a', T0 + 120_000);
    expect(sent.labels).toEqual({ alertname: 'EvenkeelSkew', rule: 'skew', severity: 'critical', instance: 'node-a', pool: 'portal' });
    expect(sent.annotations.summary).toBe(alert.summary);
    expect(sent.annotations.likely_cause).toBe("change 42 (automation 'weights.sh', 09:58) raised web-1 and web-2 weights 100 -> 400");
    expect(sent.annotations.action).toBe('rolled back change 42: version 7 restored as version 9 (change 43)');
    expect(sent.annotations.backends).toBe('web-1, web-2');
    expect(sent.annotations.description.split('\n')).toEqual([
      alert.summary,
      'Evidence: observedShare=0.81, expectedShare=0.4, pinnedShare=0.74, persistence=cookie, requests=30600.',
      'Likely causes:',
      "1. change 42 (automation 'weights.sh', 09:58) raised web-1 and web-2 weights 100 -> 400 (score 0.90)",
      '2. 74% of their requests are pinned by cookie persistence (score 0.60)',
      'Action taken: rolled back change 42: version 7 restored as version 9 (change 43)',
    ]);
    expect(sent.startsAt).toBe(new Date(T0 + 3000).toISOString());
    expect(sent.endsAt).toBe(new Date(T0 + 120_000).toISOString());
    expect(sent).not.toHaveProperty('generatorURL');
    expect(toAlertmanagerAlert(skewAlert('firing', { rule: 'inflight_skew', backend: 'web-1' }), 'n', 0).labels).toMatchObject({ alertname: 'EvenkeelInflightSkew', backend: 'web-1' });
  });

  it('sends nothing for pending alerts, nor for an alert that resolved without firing', async () => {
    const { server, delivery } = await deliveryToAlertmanager();
    delivery.deliver(transitionTo('pending'));
    delivery.deliver({ ...transitionTo('resolved', { firingAt: undefined }), from: 'pending' });
    delivery.resend([skewAlert('pending')]);
    await delivery.close();
    expect(server.requests).toEqual([]);
  });

  it('posts a firing alert to /api/v2/alerts at once with endsAt four resends ahead, re-sends it every resend, and ends it once with endsAt', async () => {
    const { server, delivery, clock } = await deliveryToAlertmanager();
    const firing = transitionTo('firing');
    clock.nowMs = firing.at;
    delivery.deliver(firing);
    delivery.resend([firing.alert]);
    await server.waitForRequests(1);

    clock.nowMs = firing.at + 29_000;
    delivery.resend([firing.alert]);
    clock.nowMs = firing.at + 30_000;
    delivery.resend([firing.alert]);
    await server.waitForRequests(2);
    clock.nowMs = firing.at + 31_000;
    delivery.resend([firing.alert]);

    const resolved = transitionTo('resolved');
    clock.nowMs = resolved.at;
    delivery.deliver(resolved);
    delivery.resend([]);
    await delivery.close();

    expect(server.requests.map((request) => request.url)).toEqual(['/api/v2/alerts', '/api/v2/alerts', '/api/v2/alerts']);
    const [first, second, last] = sentAlerts(server);
    expect(first).toHaveLength(1);
    expect(first[0].labels.alertname).toBe('EvenkeelSkew');
    expect(first[0].endsAt).toBe(new Date(firing.at + 120_000).toISOString());
    expect(second[0].endsAt).toBe(new Date(firing.at + 30_000 + 120_000).toISOString());
    expect(last[0].endsAt).toBe(new Date(resolved.at).toISOString());
    expect(server.requests[0].headers['x-evenkeel-signature']).toBeUndefined();
  });

  it('re-sends the latest annotations, so an action taken after firing reaches Alertmanager', async () => {
    const { server, delivery, clock } = await deliveryToAlertmanager();
    const firing = transitionTo('firing');
    clock.nowMs = firing.at;
    delivery.deliver(firing);
    clock.nowMs += 30_000;
    delivery.resend([skewAlert('firing', { actions: [{ kind: 'rollback', at: clock.nowMs, summary: 'rolled back change 42' }] })]);
    await delivery.close();
    expect(sentAlerts(server)[1][0].annotations.action).toBe('rolled back change 42');
  });

  it('does not pile up resends while an Alertmanager is down, and logs each failure with its URL', async () => {
    const { server, delivery, clock, logger } = await deliveryToAlertmanager(() => 503);
    const firing = transitionTo('firing');
    clock.nowMs = firing.at;
    delivery.deliver(firing);
    for (let tick = 1; tick <= 5; tick++) {
      clock.nowMs = firing.at + tick * 30_000;
      delivery.resend([firing.alert]);
    }
    await delivery.close();
    // 3 attempts of the transition, then at most one resend queued behind it.
    expect(server.requests.length).toBeLessThanOrEqual(4);
    expect(logger.lines.filter((line) => line.level === 'error').every((line) => String(line.obj.url).startsWith('http://127.0.0.1:'))).toBe(true);
    expect(logger.lines.some((line) => line.msg.includes('gave up after 3 attempt(s)'))).toBe(true);
  });
});
