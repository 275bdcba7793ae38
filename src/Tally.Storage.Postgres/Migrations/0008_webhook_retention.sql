-- Webhook retention: the pruner walks finished deliveries and fanned-out events oldest first; these partial indexes keep
-- that walk off the pending rows the dispatcher claims (and off the outbox inserts a track makes, which are not fanned out).
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (created_at) WHERE status <> 'pending';
CREATE INDEX webhook_outbox_fanned_out ON webhook_outbox (created_at) WHERE fanned_out;
