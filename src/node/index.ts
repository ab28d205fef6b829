import os from 'node:os';
import { loadConfigFile } from '../config/index.js';
import { startDemoUpstreams } from './demo-upstreams.js';
import { resolveCookieSecret } from './cookie-secret.js';
import { startSingleNode } from './single-node.js';
import { startClusterPrimary } from './cluster-primary.js';
import { createNodeLogger, type Logger } from './logger.js';
import { useBaselineWasmCompiler } from './wasm-compiler.js';
import type { RunningNode, ServeOptions } from './serve-options.js';

export type { RunningNode, ServeOptions } from './serve-options.js';
export { createNodeLogger } from './logger.js';
export { startDemoUpstreams, startDemoUpstream } from './demo-upstreams.js';

export interface StartedNode extends RunningNode {
  proxyUrls: string[];
  workers: number;
}

/**
 * Starts a node from a config file: demo upstreams (if the config has a demo section), then one
 * process or a primary with N workers. Throws ConfigError when the file is invalid.
 */
export async function startNode(options: ServeOptions, logger: Logger = createNodeLogger()): Promise<StartedNode> {
  useBaselineWasmCompiler();
  const config = loadConfigFile(options.configPath);
  const requested = options.workers ?? config.workers;
  const workers = requested === 'auto' ? Math.max(1, os.availableParallelism()) : requested;
  const { secret, isEphemeral } = resolveCookieSecret(config);
  if (isEphemeral && Object.values(config.pools).some((pool) => pool.persistence.by === 'cookie')) {
    logger.warn('persistence cookies are signed with a random key for this start; set proxy.cookie_secret or EVENKEEL_COOKIE_SECRET to keep sessions across restarts and nodes');
  }
  const demo = await startDemoUpstreams(config);
  if (demo.length > 0) logger.info({ ports: demo.map((upstream) => upstream.port) }, `DEMO: started ${demo.length} demo upstreams in this process`);
  let node: RunningNode;
  try {
    node = workers > 1 ? await startClusterPrimary(config, options, secret, logger, workers) : await startSingleNode(config, options, secret, logger);
  } catch (error) {
    await Promise.all(demo.map((upstream) => upstream.close()));
    throw error;
  }
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
