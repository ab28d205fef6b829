import type { AuditEvent } from './types';

// The audit log's events in words and in the categories the Timeline filters on.

export const CATEGORIES = [
  { id: 'alert', label: 'Alerts' },
  { id: 'change', label: 'Changes' },
  { id: 'rollback', label: 'Rollbacks' },
  { id: 'health', label: 'Health' },
  { id: 'incident', label: 'Incidents & drills' },
  { id: 'other', label: 'Other' },
] as const;
export type Category = (typeof CATEGORIES)[number]['id'];

type Data = Record<string, unknown>;
const asData = (data: unknown): Data => (typeof data === 'object' && data !== null ? (data as Data) : {});
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

export function categoryOf(event: AuditEvent): Category {
  const data = asData(event.data);
  if (event.kind === 'change.rolled_back' || (event.kind.startsWith('change.') && typeof data.rollbackOf === 'number')) return 'rollback';
  if (event.kind.startsWith('alert.')) return 'alert';
  if (event.kind.startsWith('change.') || event.kind.startsWith('config.')) return 'change';
  if (event.kind.startsWith('health.')) return 'health';
  if (event.kind.startsWith('incident.') || event.kind.startsWith('drill.')) return 'incident';
  return 'other';
}

/** One line about the event: its summary or reason, a state move, or its data cut short. */
export function describeEvent(event: AuditEvent): string {
  const data = asData(event.data);
  const move = data.to !== undefined ? `${String(data.from ?? 'new')} → ${String(data.to)}` : undefined;
  const words = text(data.summary) ?? text(data.reason) ?? text(data.message) ?? text(data.note) ?? text(data.title);
  if (move !== undefined && words !== undefined) return `${move}: ${words}`;
  if (move !== undefined) return move;
  if (words !== undefined) return words;
  if (Array.isArray(data.diff)) return data.diff.map(String).join('; ');
  const json = JSON.stringify(event.data ?? null);
  return json === '{}' || json === 'null' ? '' : json.length > 160 ? `${json.slice(0, 157)}…` : json;
}
