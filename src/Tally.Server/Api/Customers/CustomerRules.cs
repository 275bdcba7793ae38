using System.Text.RegularExpressions;
using Tally.Core.Domain;
using Tally.Server.Http;

namespace Tally.Server.Api.Customers;

internal static partial class CustomerRules
{
    [GeneratedRegex("^[a-zA-Z0-9_:-]+$")]
    private static partial Regex IdPattern();

    public static Reply? CheckId(TenantId t, string? id, string field = "customer_id")
    {
        if (string.IsNullOrEmpty(id))
        {
            return Errors.Invalid(t, $"{field}: must be a non-empty string");
        }
        if (id.Length > 256 || !IdPattern().IsMatch(id))
        {
            return Errors.Invalid(t, $"{field}: may only contain letters, digits, '_', ':' and '-' (no '@', spaces or '.'), up to 256 characters");
        }
        return null;
    }

    public static bool WantsEntities(List<string>? expand) => expand?.Contains("entities") == true;
}
