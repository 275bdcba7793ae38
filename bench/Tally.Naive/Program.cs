using System.Text.Json;
using Tally.Naive;

// The naive baseline of bench/Tally.Bench's "peers" scenario: the bench's track/check wire routes on one balance row
// per customer and feature. It reads the same environment as Tally.Server so the bench starts both the same way:
// TALLY_DATABASE (a connection string with Host= means PostgreSQL, anything else is a SQLite file path) and
// TALLY_SECRET_KEYS (comma-separated bearer keys, compared as sent: a baseline, not a key store).
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, NaiveJson.Default));

var database = Environment.GetEnvironmentVariable("TALLY_DATABASE");
if (string.IsNullOrWhiteSpace(database))
{
    Console.Error.WriteLine("TALLY_DATABASE is not set: a SQLite file path, or a PostgreSQL connection string (Host=...)");
    return 2;
}
INaiveStore store = database.Contains("Host=", StringComparison.OrdinalIgnoreCase)
    ? new PostgresNaive(database)
    : new SqliteNaive(database);
await store.InitializeAsync(CancellationToken.None).ConfigureAwait(false);
Console.WriteLine($"naive baseline on {store.Describe}");

var keys = (Environment.GetEnvironmentVariable("TALLY_SECRET_KEYS") ?? "")
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    .Select(k => "Bearer " + k)
    .ToHashSet(StringComparer.Ordinal);

var app = builder.Build();
app.Use(async (ctx, next) =>
{
    if (ctx.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal)
        && !keys.Contains(ctx.Request.Headers.Authorization.ToString()))
    {
        await Answer.Error(ctx, 401, "a valid secret key is required in the Authorization header", "unauthorized").ConfigureAwait(false);
        return;
    }
    await next(ctx).ConfigureAwait(false);
});

app.MapGet("/livez", () => Results.Text("ok"));
app.MapGet("/healthz", () => Results.Text("ok"));

app.MapPost("/v1/balances.track", async (HttpContext ctx) =>
{
    if (await Answer.ReadAsync(ctx, NaiveJson.Default.TrackRequest).ConfigureAwait(false) is not { } req)
    {
        return;
    }
    if (Answer.MissingIds(req.CustomerId, req.FeatureId) is { } missing)
    {
        await Answer.Error(ctx, 400, $"{missing} is required", "invalid_request").ConfigureAwait(false);
        return;
    }
    var value = req.Value ?? 1;
    if (value <= 0)
    {
        await Answer.Error(ctx, 400, "value must be positive", "invalid_request").ConfigureAwait(false);
        return;
    }
    var result = await store.TrackAsync(req.CustomerId!, req.FeatureId!, value, ctx.RequestAborted).ConfigureAwait(false);
    switch (result.Status)
    {
        case TrackStatus.Tracked:
            await ctx.Response.WriteAsJsonAsync(new TrackAnswer(req.CustomerId!, req.FeatureId!, value, result.Balance),
                NaiveJson.Default.TrackAnswer, cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
            break;
        case TrackStatus.NotFound:
            await Answer.Error(ctx, 404, "no balance for this customer_id and feature_id", "balance_not_found").ConfigureAwait(false);
            break;
        default:
            await Answer.Error(ctx, 409, "balance is lower than value", "insufficient_balance").ConfigureAwait(false);
            break;
    }
});

app.MapPost("/v1/balances.check", async (HttpContext ctx) =>
{
    if (await Answer.ReadAsync(ctx, NaiveJson.Default.CheckRequest).ConfigureAwait(false) is not { } req)
    {
        return;
    }
    if (Answer.MissingIds(req.CustomerId, req.FeatureId) is { } missing)
    {
        await Answer.Error(ctx, 400, $"{missing} is required", "invalid_request").ConfigureAwait(false);
        return;
    }
    var required = req.RequiredBalance ?? 1;
    var balance = await store.BalanceAsync(req.CustomerId!, req.FeatureId!, ctx.RequestAborted).ConfigureAwait(false);
    await ctx.Response.WriteAsJsonAsync(new CheckAnswer(balance >= required, req.CustomerId!, req.FeatureId!, required, balance),
        NaiveJson.Default.CheckAnswer, cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
});

app.MapPost("/v1/balances.create", async (HttpContext ctx) =>
{
    if (await Answer.ReadAsync(ctx, NaiveJson.Default.CreateRequest).ConfigureAwait(false) is not { } req)
    {
        return;
    }
    if (Answer.MissingIds(req.CustomerId, req.FeatureId) is { } missing)
    {
        await Answer.Error(ctx, 400, $"{missing} is required", "invalid_request").ConfigureAwait(false);
        return;
    }
    if (req.IncludedGrant is not { } granted || granted < 0)
    {
        await Answer.Error(ctx, 400, "included_grant is required and must not be negative", "invalid_request").ConfigureAwait(false);
        return;
    }
    var created = await store.CreateAsync(req.CustomerId!, req.FeatureId!, granted, ctx.RequestAborted).ConfigureAwait(false);
    await ctx.Response.WriteAsJsonAsync(new CreateAnswer(req.CustomerId!, req.FeatureId!, created),
        NaiveJson.Default.CreateAnswer, cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
});

await app.RunAsync().ConfigureAwait(false);
await store.DisposeAsync().ConfigureAwait(false);
return 0;

/// <summary>Body reading and the <c>{message, code}</c> error shape, shared by the three routes.</summary>
internal static class Answer
{
    public static async Task<T?> ReadAsync<T>(HttpContext ctx, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync(ctx.Request.Body, type, ctx.RequestAborted).ConfigureAwait(false);
            if (body is null)
            {
                await Error(ctx, 400, "the body must be a JSON object", "invalid_request").ConfigureAwait(false);
            }
            return body;
        }
        catch (JsonException e)
        {
            await Error(ctx, 400, $"the body is not valid JSON for this route ({e.Path})", "invalid_request").ConfigureAwait(false);
            return null;
        }
    }

    public static string? MissingIds(string? customerId, string? featureId) =>
        string.IsNullOrEmpty(customerId) ? "customer_id" : string.IsNullOrEmpty(featureId) ? "feature_id" : null;

    public static Task Error(HttpContext ctx, int status, string message, string code)
    {
        ctx.Response.StatusCode = status;
        return ctx.Response.WriteAsJsonAsync(new ErrorAnswer(message, code), NaiveJson.Default.ErrorAnswer, cancellationToken: ctx.RequestAborted);
    }
}
