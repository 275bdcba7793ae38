using Tally.Core.Domain;
using Tally.Server.Http;

namespace Tally.Server.Api.Balances;

/// <summary>Loading the subject of a balances.* call: the customer (404 if missing) and the entity (404 if missing).</summary>
internal static class Subject
{
    public static Reply? Missing(TenantId t, CustomerState? state, string customerId, string? entityId)
    {
        if (state is null)
        {
            return Errors.CustomerNotFound(t, customerId);
        }
        if (entityId is not null && state.FindEntity(entityId) is null)
        {
            return Errors.EntityNotFound(t, entityId);
        }
        return null;
    }

    public static bool TryInterval(string? wire, out ResetInterval? interval)
    {
        interval = null;
        if (wire is null)
        {
            return true;
        }
        if (ResetIntervals.TryParse(wire, out var iv))
        {
            interval = iv;
            return true;
        }
        return false;
    }

    public const string Intervals = "one_off, minute, hour, day, week, month, quarter, semi_annual, year";
}
