import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ProxyConfigError } from './errors.js';

// Certificates are renewed in place (certbot, cert-manager, a cron job), so the HTTPS listener
// re-reads its certificate and key when either file changes, without a restart or dropped
// connections. The parent directories are watched rather than the files: renewals usually write a
// new file and rename it over the old one (or swap a symlink), and a watch on the old inode would
// never fire again. A pair that does not load (half-written, key not matching) is reported and the
// old one stays in service; writers that replace the two files one after the other are covered by
// waiting for a short quiet period before loading.

/** How long the files must stay unchanged before a reload, so cert and key are read as a pair. */
const QUIET_MS = 100;

export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks a certificate and key; throws when they do not form a usable pair. */
export function loadCertificatePair(certPath: string, keyPath: string): CertificatePair {
  try {
    const pair = { cert: readFileSync(certPath), key: readFileSync(keyPath) };
    // Throws on unreadable PEM and on "key values mismatch".
    createSecureContext(pair);
    return pair;
  } catch (error) {
    throw new ProxyConfigError(
      'EK_PROXY_CERTIFICATE_INVALID',
      `cannot use TLS certificate ${certPath} with key ${keyPath}: ${(error as Error).message}; expected PEM files whose key matches the certificate`,
    );
  }
}

export class CertificateWatch {
  private readonly certPath: string;
  private readonly keyPath: string;
  private readonly onPair: (pair: CertificatePair) => void;
  private readonly onError: (error: Error) => void;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(certPath: string, keyPath: string, onPair: (pair: CertificatePair) => void, onError: (error: Error) => void) {
    this.certPath = certPath;
    this.keyPath = keyPath;
    this.onPair = onPair;
    this.onError = onError;
  }

  start(): void {
    const names = new Set([basename(this.certPath), basename(this.keyPath)]);
    for (const directory of new Set([dirname(this.certPath), dirname(this.keyPath)])) {
      const watcher = watch(directory, { persistent: false }, (_event, filename) => {
        // Some platforms do not report the name; then any change in the directory counts.
        if (filename === null || names.has(filename.toString())) this.schedule();
      });
      watcher.on('error', (error) => this.onError(error));
      this.watchers.push(watcher);
    }
  }

  stop(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers.length = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined) this.timer.refresh();
    else this.timer = setTimeout(() => this.reload(), QUIET_MS).unref();
  }

  private reload(): void {
    this.timer = undefined;
    let pair: CertificatePair;
    try {
      pair = loadCertificatePair(this.certPath, this.keyPath);
    } catch (error) {
      this.onError(error as Error);
      return;
    }
    this.onPair(pair);
  }
}
