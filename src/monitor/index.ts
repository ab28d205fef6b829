// The monitor/ room: rules evaluated every tick on telemetry windows, the alert lifecycle, the
// diagnosis sentence, and delivery to webhooks and Alertmanager. Other rooms import only from here.
export * from './alert.js';
