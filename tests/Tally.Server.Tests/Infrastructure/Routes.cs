namespace Tally.Server.Tests.Infrastructure;

/// <summary>Every RPC route the server maps (src/Tally.Server/Api/Routes.cs).</summary>
public static class Routes
{
    public static readonly string[] Names =
    [
        "features.create", "features.get", "features.list", "features.update", "features.delete",
        "plans.create", "plans.get", "plans.list", "plans.update", "plans.delete",
        "customers.get_or_create", "customers.get", "customers.list", "customers.update", "customers.delete", "customers.advance_test_clock",
        "entities.create", "entities.get", "entities.list", "entities.update", "entities.delete",
        "billing.attach",
        "billing.update",
        "billing.preview_attach",
        "balances.track", "track", "balances.check", "check", "balances.batch_track",
        "balances.create", "balances.update", "balances.delete", "balances.finalize",
        "events.list",
        "events.aggregate",
        "keys.create", "keys.list", "keys.revoke",
        "webhooks.create", "webhooks.list", "webhooks.update", "webhooks.delete", "webhooks.rotate_secret", "webhooks.test",
        "webhooks.deliveries", "webhooks.redeliver",
        "admin.audit", "admin.export_usage",
    ];

    public static TheoryData<string> All => [.. Names];
}
