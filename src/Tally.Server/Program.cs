using Microsoft.Extensions.DependencyInjection.Extensions;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Api;
using Tally.Server.Dashboard;
using Tally.Server.Hosting;
using Tally.Server.Http;

TallyOptions? options = null;
try
{
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
    // ASP.NET Core's own per-request lines would cost more than a track; Tally writes one line per request itself.
    builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    // A failed start (e.g. the port is taken) is reported as one line by Startup, not as the host's stack trace.
    builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
    options = TallyOptions.FromConfiguration(builder.Configuration);
    builder.Services.AddSingleton(options);
    builder.Services.TryAddSingleton(TimeProvider.System);
    builder.Services.AddSingleton<Clock>();
    builder.Services.AddSingleton<IIdGenerator, SortableIdGenerator>();
    builder.Services.AddSingleton<KeyResolver>();
    builder.Services.AddSingleton(new ResetPolicy { PersistFreeOverage = options.PersistFreeOverage });
    builder.Services.AddSingleton<ITallyStore>(sp => StoreFactory.Create(options, sp.GetRequiredService<TimeProvider>()));
    builder.Services.AddSingleton<ResetSweeper>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<ResetSweeper>());
    builder.AddTallyOperations();
    builder.AddTallyWebhooks();
    builder.Services.AddTallyDashboard();

    var app = builder.Build();
    app.UseRequestLog();
    app.UseFaults();
    app.UseBodyLimit();
    app.UseTallyAuth();
    app.UseApiVersion();
    app.MapHealth();
    app.MapTallyOperations();
    app.MapTallyApi();
    app.MapTallyDashboard();
    app.MapFallbacks();
    return await Startup.RunAsync(app, options);
}
catch (Exception e) when (Startup.Describe(e, options) is { } line)
{
    Console.Error.WriteLine("Tally cannot start: " + line);
    return Startup.ConfigurationExitCode;
}

/// <summary>Entry point type, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
