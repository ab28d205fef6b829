import { watch, type FSWatcher } from 'node:fs';
import { dirname, basename } from 'node:path';

/**
 * Calls `onChange` after the config file changes (debounced: editors write in several steps, and
 * some replace the file by renaming, so the directory is watched rather than the file's inode).
 */
export function watchConfigFile(path: string, onChange: () => void, debounceMs = 200): { close(): void } {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(path), (_event, changed) => {
    if (changed !== null && changed !== name) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  watcher.unref();
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
