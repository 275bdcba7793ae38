using Xunit.Sdk;

namespace Tally.Server.Tests.Infrastructure;

/// <summary>Assertions on HTTP answers that print the body when they fail.</summary>
public static class Expect
{
    public static ApiResult ShouldBe(this ApiResult res, int status)
    {
        if (res.Status != status)
        {
            throw new XunitException($"Expected HTTP {status}, got {res}");
        }
        if (res.ContentType != "application/json")
        {
            throw new XunitException($"Expected Content-Type application/json, got '{res.ContentType}' on {res}");
        }
        return res;
    }

    /// <summary>
    /// An error answer: the status, the exact code, a message (containing <paramref name="messageContains"/> when
    /// given) and the body shape <c>{message, code, env}</c> with env the caller's environment (absent before auth).
    /// </summary>
    public static ApiResult ShouldFail(this ApiResult res, int status, string code, string? messageContains = null, string? env = "sandbox")
    {
        res.ShouldBe(status);
        if (res.Code != code)
        {
            throw new XunitException($"Expected code {code}, got {res}");
        }
        if (string.IsNullOrWhiteSpace(res.Message))
        {
            throw new XunitException($"Expected a message, got {res}");
        }
        if (messageContains is not null && !res.Message.Contains(messageContains, StringComparison.Ordinal))
        {
            throw new XunitException($"Expected the message to contain '{messageContains}', got {res}");
        }
        var keys = res.Json.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        var expected = env is null ? new[] { "code", "message" } : ["code", "env", "message"];
        if (!keys.SequenceEqual(expected))
        {
            throw new XunitException($"Expected error keys [{string.Join(", ", expected)}], got [{string.Join(", ", keys)}] in {res}");
        }
        if (env is not null && res.Json.GetProperty("env").GetString() != env)
        {
            throw new XunitException($"Expected env {env}, got {res}");
        }
        return res;
    }

    /// <summary>A 400 invalid_inputs whose message names <paramref name="field"/>.</summary>
    public static ApiResult ShouldBeInvalid(this ApiResult res, string field) => res.ShouldFail(400, "invalid_inputs", field);

    public static decimal Dec(this JsonElement e, string property) => e.GetProperty(property).GetDecimal();

    public static string? Str(this JsonElement e, string property) => e.GetProperty(property).GetString();

    /// <summary>Every key of <paramref name="keys"/> is present on the object (a present null counts).</summary>
    public static void HasKeys(this JsonElement e, string what, params string[] keys)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new XunitException($"{what}: expected an object, got {e.ValueKind}: {e.GetRawText()}");
        }
        var missing = keys.Where(k => !e.TryGetProperty(k, out _)).ToList();
        if (missing.Count > 0)
        {
            throw new XunitException($"{what}: missing [{string.Join(", ", missing)}] in {e.GetRawText()}");
        }
    }
}
