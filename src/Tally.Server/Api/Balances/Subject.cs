using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Http;

namespace Tally.Server.Api.Balances;

/// <summary>The subject of a balances.* call: the entity it names (404 if missing) and the interval it targets.</summary>
internal static class Subject
{
    /// <summary>The 404 for an entity the customer does not have; null when none was named or it exists.</summary>
    public static Reply? MissingEntity(TenantId t, Working w, string? entityId) =>
        entityId is not null && w.Entity(entityId) is null ? Errors.EntityNotFound(t, entityId) : null;

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
