import { readFileSync } from 'node:fs';
import os from 'node:os';
import { loadConfigFile } from '../config/index.js';
import { Control } from './control.js';
import { describeBootstrap } from './control-plane.js';
import { startDemoUpstreams } from './demo-upstreams.js';
import { resolveCookieSecret } from './cookie-secret.js';
import { startSingleNode } from './single-node.js';
import { startClusterPrimary } from './cluster-primary.js';
import { createNodeLogger, type Logger } from './logger.js';
import { collectAfterStart } from './heap-budget.js';
import { preferEventLoopThread } from './thread-priority.js';
import { tuneV8ForServing } from './serving-v8.js';
import type { RunningNode, ServeOptions } from './serve-options.js';

export type { RunningNode, ServeOptions } from './serve-options.js';
export { createNodeLogger } from './logger.js';
export { startDemoUpstreams, startDemoUpstream } from './demo-upstreams.js';
export { FILE_ACTOR } from './control-plane.js';

export interface StartedNode extends RunningNode {
  proxyUrls: string[];
  workers: number;
}

/**
 * Starts a node from a config file: the store and the change service (which pick the config to serve,
 * see control-plane.ts), demo upstreams (if that config has a demo section), then one process or a
 * primary with N workers. Throws ConfigError when the file is invalid, StoreError when the store
 * cannot be opened.
 */
export async function startNode(options: ServeOptions, logger: Logger = createNodeLogger()): Promise<StartedNode> {
  tuneV8ForServing();
  const fileConfig = loadConfigFile(options.configPath);
  const fileText = readFileSync(options.configPath, 'utf8');
  const control = new Control(options.configPath, fileConfig, logger);
  const bootstrap = await control.open(fileText);
  const config = control.config;
  const requested = options.workers ?? config.workers;
  const workers = requested === 'auto' ? Math.max(1, os.availableParallelism()) : requested;
  let secret: string;
  try {
    ({ secret } = await resolveCookieSecret(config, control.store));
  } catch (error) {
    await control.close();
    throw error;
  }
  let demo: Awaited<ReturnType<typeof startDemoUpstreams>>;
  try {
    demo = await startDemoUpstreams(config);
  } catch (error) {
    await control.close();
    throw error;
  }
  if (demo.length > 0) logger.info({ ports: demo.map((upstream) => upstream.port) }, `DEMO: started ${demo.length} demo upstreams in this process`);
  let node: RunningNode;
  try {
    node = workers > 1 ? await startClusterPrimary(control, options, secret, logger, workers) : await startSingleNode(control, options, secret);
  } catch (error) {
    await control.close();
    await Promise.all(demo.map((upstream) => upstream.close()));
    throw error;
  }
  // Shown once: the store keeps only the token's hash.
  if (bootstrap !== undefined) process.stderr.write(describeBootstrap(bootstrap, node.adminUrl));
  collectAfterStart();
  preferEventLoopThread();
  const proxyUrls: string[] = [];
  if (config.listen.http) proxyUrls.push(`http://${config.listen.http.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`);
  if (config.listen.https) proxyUrls.push(`https://${config.listen.https.address.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`);
  return {
    ...node,
    proxyUrls,
    workers,
    async stop(drainMs: number) {
      await node.stop(drainMs);
      await Promise.all(demo.map((upstream) => upstream.close()));
    },
  };
}
