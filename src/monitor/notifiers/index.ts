// Delivery of alert transitions: generic webhooks (signed JSON) and Alertmanager's v2 API.
export { AlertDelivery, type AlertDeliveryOptions, type DeliveryLogger } from './alert-delivery.js';
export { alertNameOf, toAlertmanagerAlert, type AlertmanagerAlert } from './alertmanager-alert.js';
export { DeliveryError, type DeliveryErrorCode } from './delivery-error.js';
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhookBody } from './webhook-signature.js';
export { WEBHOOK_BODY_VERSION, webhookBody } from './webhook-notification.js';
