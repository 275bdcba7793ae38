using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Api;
using Tally.Server.Http;

namespace Tally.Server.Tests.Api;

/// <summary>Plain values for calling use-case decisions directly: no HTTP, no store, no clock.</summary>
internal static class Kit
{
    public static readonly TenantId Tenant = new("org_decisions", Env.Sandbox);
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static UnitContext At(DateTimeOffset? now = null) => new(Tenant, now ?? Now, ResetPolicy.Default, new CountingIds());

    public static Feature Metered(string id, params string[] eventNames) =>
        new() { Id = id, Name = id, Type = FeatureType.Metered, Consumable = true, EventNames = eventNames, CreatedAt = Epoch };

    public static Feature Continuous(string id) => new() { Id = id, Name = id, Type = FeatureType.Metered, Consumable = false, CreatedAt = Epoch };

    public static Feature Boolean(string id) => new() { Id = id, Name = id, Type = FeatureType.Boolean, CreatedAt = Epoch };

    public static Catalog Catalog(params Feature[] features) => new(features, []);

    /// <summary>A lifetime grant that never resets, with <paramref name="balance"/> left of <paramref name="granted"/>.</summary>
    public static BalanceSource Grant(string featureId, decimal granted, decimal? balance = null, string? entityId = null, string? planId = "plan") => new()
    {
        Id = "",
        FeatureId = featureId,
        EntityId = entityId,
        PlanId = planId,
        CustomerPlanId = planId is null ? null : "cp_" + planId,
        IncludedGrant = granted,
        Balance = balance ?? granted,
    };

    /// <summary>A stored customer with these entities and sources (ids and sequence numbers assigned in order).</summary>
    public static CustomerState Customer(string id, IEnumerable<Entity>? entities = null, params BalanceSource[] sources)
    {
        var state = new CustomerState(new Customer { Id = id, CreatedAt = Epoch });
        var changes = new CustomerChanges();
        var seq = state.NextSeq;
        foreach (var e in entities ?? [])
        {
            changes.UpsertEntities.Add(e with { Seq = seq, CreatedAt = Epoch.AddMinutes(seq) });
            seq++;
        }
        foreach (var s in sources)
        {
            changes.UpsertSources.Add(s with { Id = s.Id.Length == 0 ? $"src_{seq}" : s.Id, Seq = seq, CreatedAt = Epoch.AddMinutes(seq) });
            seq++;
        }
        changes.NextSeq = seq;
        state.Apply(changes);
        return state;
    }

    public static Entity Entity(string id, string featureId) => new() { Id = id, FeatureId = featureId };

    public static JsonElement Json(Reply reply) => JsonDocument.Parse(reply.Body).RootElement;

    public static string Code(Reply reply) => Json(reply).GetProperty("code").GetString()!;

    private sealed class CountingIds : IIdGenerator
    {
        private int _n;

        public string NewId(string prefix) => $"{prefix}{++_n}";
    }
}
