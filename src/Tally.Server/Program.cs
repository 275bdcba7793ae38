using Microsoft.Extensions.DependencyInjection.Extensions;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Api;
using Tally.Server.Hosting;
using Tally.Server.Http;

var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrel(k =>
{
    k.Limits.MaxRequestBodySize = Rpc.MaxBodyBytes + 1;
    k.AddServerHeader = false;
    // Kestrel refuses a non-ASCII header byte itself, with an empty non-JSON 400 before any middleware runs; read
    // as Latin-1 every byte is a character, and the headers Tally reads are checked where a JSON 400 can name them.
    k.RequestHeaderEncodingSelector = static _ => System.Text.Encoding.Latin1;
});
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}
// Per-request logs would cost more than a track itself; faults are still logged.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
var options = TallyOptions.FromConfiguration(builder.Configuration);
builder.Services.AddSingleton(options);
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddSingleton<Clock>();
builder.Services.AddSingleton<IIdGenerator, SortableIdGenerator>();
builder.Services.AddSingleton<KeyResolver>();
builder.Services.AddSingleton(new ResetPolicy { PersistFreeOverage = options.PersistFreeOverage });
builder.Services.AddSingleton<ITallyStore>(sp => StoreFactory.Create(options, sp.GetRequiredService<TimeProvider>()));
builder.Services.AddSingleton<ResetSweeper>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ResetSweeper>());

var app = builder.Build();
var printed = await Bootstrap.PrepareAsync(app.Services.GetRequiredService<ITallyStore>(), options, app.Lifetime.ApplicationStopping);

app.UseFaults();
app.UseBodyLimit();
app.UseTallyAuth();
app.UseApiVersion();
app.MapGet("/healthz", async (ITallyStore store, CancellationToken ct) =>
    await store.IsReadyAsync(ct) ? Results.Text("ok") : Results.StatusCode(503));
// Liveness: answers without touching the store (also the no-op baseline of the benchmarks in bench/).
app.MapGet("/livez", () => Results.Text("ok"));
app.MapTallyApi();
app.MapFallbacks();

app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var url in app.Urls)
    {
        Console.WriteLine($"Tally is listening on {url} (store: {(options.IsPostgres ? "PostgreSQL" : options.Database)})");
    }
    foreach (var key in printed)
    {
        Console.WriteLine($"Created secret key (shown once, keep it): {key}");
    }
});
app.Run();

/// <summary>Entry point type, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
