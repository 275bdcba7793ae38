using Tally.Server.Api.Admin;
using Tally.Server.Api.Balances;
using Tally.Server.Api.Billing;
using Tally.Server.Api.Customers;
using Tally.Server.Api.Entities;
using Tally.Server.Api.Events;
using Tally.Server.Api.Features;
using Tally.Server.Api.Keys;
using Tally.Server.Api.Plans;
using Tally.Server.Api.Webhooks;
using Tally.Server.Http;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Server.Api;

/// <summary>Autumn's RPC surface (<c>POST /v1/&lt;resource&gt;.&lt;action&gt;</c>), one group per resource.</summary>
internal static class Routes
{
    public static void MapTallyApi(this IEndpointRouteBuilder app)
    {
        app.MapRpc("features.create", C.Default.CreateFeatureParams, CreateFeature.Handle);
        app.MapRpc("features.get", C.Default.GetFeatureParams, GetFeature.Handle);
        app.MapRpc("features.list", C.Default.EmptyParams, ListFeatures.Handle);
        app.MapRpc("features.update", C.Default.UpdateFeatureParams, UpdateFeature.Handle);
        app.MapRpc("features.delete", C.Default.DeleteFeatureParams, DeleteFeature.Handle);

        app.MapRpc("plans.create", C.Default.CreatePlanParams, CreatePlan.Handle);
        app.MapRpc("plans.get", C.Default.GetPlanParams, GetPlan.Handle);
        app.MapRpc("plans.list", C.Default.ListPlansParams, ListPlans.Handle);
        app.MapRpc("plans.update", C.Default.UpdatePlanParams, UpdatePlan.Handle);
        app.MapRpc("plans.delete", C.Default.DeletePlanParams, DeletePlan.Handle);

        app.MapRpc("customers.get_or_create", C.Default.GetOrCreateCustomerParams, GetOrCreateCustomer.Handle);
        app.MapRpc("customers.get", C.Default.GetCustomerParams, GetCustomer.Handle);
        app.MapRpc("customers.list", C.Default.ListCustomersParams, ListCustomers.Handle);
        app.MapRpc("customers.update", C.Default.UpdateCustomerParams, UpdateCustomer.Handle);
        app.MapRpc("customers.delete", C.Default.DeleteCustomerParams, DeleteCustomer.Handle);
        app.MapRpc("customers.advance_test_clock", C.Default.AdvanceTestClockParams, AdvanceTestClock.Handle);

        app.MapRpc("entities.create", C.Default.CreateEntityParams, CreateEntity.Handle);
        app.MapRpc("entities.get", C.Default.GetEntityParams, GetEntity.Handle);
        app.MapRpc("entities.list", C.Default.ListEntitiesParams, ListEntities.Handle);
        app.MapRpc("entities.update", C.Default.UpdateEntityParams, UpdateEntity.Handle);
        app.MapRpc("entities.delete", C.Default.DeleteEntityParams, DeleteEntity.Handle);

        app.MapRpc("billing.attach", C.Default.AttachParams, Attach.Handle);
        app.MapRpc("billing.update", C.Default.UpdateBillingParams, UpdateBilling.Handle);
        app.MapRpc("billing.preview_attach", C.Default.AttachParams, PreviewAttach.Handle);

        app.MapRpc("balances.track", C.Default.TrackParams, Track.Handle);
        app.MapRpc("track", C.Default.TrackParams, Track.Handle);
        app.MapRpc("balances.check", C.Default.CheckParams, Check.Handle);
        app.MapRpc("check", C.Default.CheckParams, Check.Handle);
        app.MapRpc("balances.batch_track", C.Default.ListTrackParams, BatchTrack.Handle);
        app.MapRpc("balances.create", C.Default.CreateBalanceParams, CreateBalance.Handle);
        app.MapRpc("balances.update", C.Default.UpdateBalanceParams, UpdateBalance.Handle);
        app.MapRpc("balances.delete", C.Default.DeleteBalanceParams, DeleteBalance.Handle);
        app.MapRpc("balances.finalize", C.Default.FinalizeLockParams, FinalizeLock.Handle);

        app.MapRpc("events.list", C.Default.ListEventsParams, ListEvents.Handle);
        app.MapRpc("events.aggregate", C.Default.AggregateEventsParams, AggregateEvents.Handle);

        app.MapRpc("keys.create", C.Default.CreateKeyParams, CreateKey.Handle);
        app.MapRpc("keys.list", C.Default.EmptyParams, ListKeys.Handle);
        app.MapRpc("keys.revoke", C.Default.RevokeKeyParams, RevokeKey.Handle);

        app.MapRpc("webhooks.create", C.Default.CreateWebhookParams, CreateWebhook.Handle);
        app.MapRpc("webhooks.list", C.Default.EmptyParams, ListWebhooks.Handle);
        app.MapRpc("webhooks.update", C.Default.UpdateWebhookParams, UpdateWebhook.Handle);
        app.MapRpc("webhooks.delete", C.Default.WebhookIdParams, DeleteWebhook.Handle);
        app.MapRpc("webhooks.rotate_secret", C.Default.WebhookIdParams, RotateWebhookSecret.Handle);
        app.MapRpc("webhooks.test", C.Default.WebhookIdParams, TestWebhook.Handle);
        app.MapRpc("webhooks.deliveries", C.Default.ListWebhookDeliveriesParams, ListWebhookDeliveries.Handle);
        app.MapRpc("webhooks.redeliver", C.Default.RedeliverWebhookParams, RedeliverWebhook.Handle);
        app.MapRpcStream("admin.audit", C.Default.AuditParams, Audit.Handle);
        app.MapRpcStream("admin.export_usage", C.Default.ExportUsageParams, ExportUsage.Handle);
    }
}
