using Tally.Core.Domain;

namespace Tally.Core.Engine;

public enum EntityStatus
{
    Created,
    AlreadyExists,
    LimitReached,
    Deleted,
    NotFound,
}

/// <summary>
/// Entities (seats, workspaces): creating one takes a seat from the customer's balance of its type feature and
/// gives it its sub-balances of per-entity plan items; deleting one gives the seat back.
/// </summary>
public static class Entities
{
    public static EntityStatus Create(Working w, Catalog catalog, Entity entity, DateTimeOffset now, IIdGenerator ids)
    {
        if (w.Entity(entity.Id) is not null)
        {
            return EntityStatus.AlreadyExists;
        }
        var typed = entity with { Seq = w.TakeSeq(), CreatedAt = now };
        // Free seats may go past their allowance (cap lets free continuous use go negative); priced seats stop
        // at max_purchase, which is reject semantics for a seat that cannot be taken whole.
        var candidates = Waterfall.Candidates(w, catalog, entity.FeatureId, null, now);
        var priced = candidates.Any(c => c.Source.Price is not null);
        var seat = Waterfall.Run(w, catalog, entity.FeatureId, candidates, 1m, priced ? OverageBehavior.Reject : OverageBehavior.Cap, now);
        if (priced && !seat.Satisfied)
        {
            return EntityStatus.LimitReached;
        }
        w.Put(typed);
        w.Append(SeatEvent(w, ids, now, entity, 1m, seat.Deltas));

        var deltas = new List<SourceDelta>();
        foreach (var attachment in w.Plans().Where(p => p.EntityId is null).ToList())
        {
            var plan = catalog.PlanOf(attachment);
            if (plan is null)
            {
                continue;
            }
            foreach (var item in plan.Items.Where(i => i.EntityFeatureId == entity.FeatureId))
            {
                if (catalog.Feature(item.FeatureId) is { } feature)
                {
                    var prepaid = item.Price?.BillingMethod == BillingMethod.Prepaid ? attachment.Options.GetValueOrDefault(item.FeatureId) : 0m;
                    deltas.Add(Grants.Create(w, Grants.FromItem(w, plan, attachment, item, feature, entity.Id, prepaid, now, ids)));
                }
            }
        }
        if (deltas.Count > 0)
        {
            w.Append(Grants.GrantEvent(w, ids, now, entity.FeatureId, entity.Id, deltas));
        }
        return EntityStatus.Created;
    }

    public static EntityStatus Delete(Working w, Catalog catalog, string entityId, DateTimeOffset now, IIdGenerator ids)
    {
        if (w.Entity(entityId) is not { } entity)
        {
            return EntityStatus.NotFound;
        }
        foreach (var s in w.AllSources().Where(s => s.EntityId == entityId).ToList())
        {
            w.DeleteSource(s.Id);
        }
        foreach (var p in w.Plans().Where(p => p.EntityId == entityId).ToList())
        {
            w.DeletePlan(p.Id);
        }
        w.DeleteEntity(entityId);
        var candidates = Waterfall.Candidates(w, catalog, entity.FeatureId, null, now);
        var back = Waterfall.Run(w, catalog, entity.FeatureId, candidates, -1m, OverageBehavior.Cap, now);
        w.Append(SeatEvent(w, ids, now, entity, -1m, back.Deltas));
        return EntityStatus.Deleted;
    }

    private static LedgerEvent SeatEvent(Working w, IIdGenerator ids, DateTimeOffset now, Entity entity, decimal value,
        IReadOnlyList<SourceDelta> deltas) => new()
        {
            Id = ids.NewId("evt_"),
            Kind = LedgerKind.Seat,
            CustomerId = w.Customer.Id,
            EntityId = entity.Id,
            EventName = entity.FeatureId,
            Value = value,
            Timestamp = now,
            Deltas = deltas,
        };
}
