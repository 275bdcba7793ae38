using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Tally.Server.Tests.Operations;

/// <summary>
/// The OpenAPI document describes every mapped route, what the server answers matches the schemas it publishes,
/// and the committed copy (docs/openapi/v1.json, for client generators) is the one the server serves.
/// Set TALLY_UPDATE_OPENAPI=1 to rewrite the committed copy after an intended change.
/// </summary>
public sealed class OpenApiTests(TallyApp app) : IClassFixture<TallyApp>
{
    private async Task<JsonObject> DocumentAsync()
    {
        using var response = await app.Http.GetAsync("/openapi/v1.json");
        Assert.Equal(200, (int)response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task Document_IsOpenApi31_AndListsExactlyTheMappedRoutes()
    {
        var doc = await DocumentAsync();
        var mapped = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText!)
            .Where(p => p.StartsWith("/v1/", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
        var documented = doc["paths"]!.AsObject().Select(p => p.Key).ToHashSet(StringComparer.Ordinal);

        Assert.StartsWith("3.1", doc["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(mapped.Count >= 30, $"only {mapped.Count} /v1 routes found");
        Assert.Empty(mapped.Except(documented));
        Assert.Empty(documented.Where(p => p.StartsWith("/v1/", StringComparison.Ordinal)).Except(mapped));
        Assert.Contains("/healthz", documented);
        Assert.Contains("/livez", documented);
        foreach (var path in mapped)
        {
            var post = doc["paths"]![path]!["post"]!;
            Assert.NotNull(post["requestBody"]!["content"]!["application/json"]!["schema"]);
            var responses = post["responses"]!.AsObject();
            Assert.Contains(responses, r => r.Key.StartsWith('2'));
            Assert.Equal("#/components/schemas/ErrorResponse", responses["400"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Answers_MatchTheirPublishedSchemas()
    {
        var doc = await DocumentAsync();
        var api = app.Api;
        var cid = "oa-" + Guid.NewGuid().ToString("N")[..8];
        var samples = new (string Route, string Body)[]
        {
            ("features.create", $$"""{"feature_id":"{{cid}}-f","name":"Messages","type":"metered","consumable":true}"""),
            ("plans.create", $$$"""{"plan_id":"{{{cid}}}-p","name":"Pro","items":[{"feature_id":"{{{cid}}}-f","included":100,"reset":{"interval":"month"}}]}"""),
            ("customers.get_or_create", $$"""{"customer_id":"{{cid}}","name":"Ada"}"""),
            ("billing.attach", $$"""{"customer_id":"{{cid}}","plan_id":"{{cid}}-p"}"""),
            ("balances.track", $$"""{"customer_id":"{{cid}}","feature_id":"{{cid}}-f","value":3}"""),
            ("balances.check", $$"""{"customer_id":"{{cid}}","feature_id":"{{cid}}-f","required_balance":5}"""),
            ("customers.get", $$"""{"customer_id":"{{cid}}"}"""),
            ("events.list", $$"""{"customer_id":"{{cid}}"}"""),
            ("features.list", "{}"),
            ("balances.track", $$"""{"customer_id":"{{cid}}","feature_id":"nope","value":1}"""),
            ("customers.get", """{"customer_id":7}"""),
        };
        foreach (var (route, body) in samples)
        {
            var res = await api.PostAsync(route, body);
            var schema = doc["paths"]!["/v1/" + route]!["post"]!["responses"]![res.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)]
                ?["content"]?["application/json"]?["schema"];
            Assert.True(schema is not null, $"{route} answered {res.Status}, which the document does not list");
            var errors = new List<string>();
            SchemaCheck.Validate(doc, schema!, JsonNode.Parse(res.Body), "$", errors);
            Assert.True(errors.Count == 0, $"{route} ({res.Status}) does not match its schema:\n{string.Join('\n', errors)}\n{res.Text}");
        }
    }

    [Fact]
    public async Task CommittedDocument_IsTheServedOne()
    {
        var served = (await DocumentAsync()).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        var path = Path.Combine(RepoRoot(), "docs", "openapi", "v1.json");
        if (Environment.GetEnvironmentVariable("TALLY_UPDATE_OPENAPI") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, served);
        }
        Assert.True(File.Exists(path), $"{path} is missing; run this test with TALLY_UPDATE_OPENAPI=1 to write it");
        var committed = (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n");
        Assert.True(committed == served,
            "docs/openapi/v1.json differs from what the server serves; if the change is intended, rerun with TALLY_UPDATE_OPENAPI=1 and commit it");
    }

    [Fact]
    public async Task Docs_ServesTheReferenceUi_WithoutACdn()
    {
        using var page = await app.Http.GetAsync("/docs/");
        var html = await page.Content.ReadAsStringAsync();
        using var script = await app.Http.GetAsync("/docs/scalar.js");

        Assert.Equal(200, (int)page.StatusCode);
        // Resolved by Scalar's loader against the application's base path: /openapi/v1.json.
        Assert.Contains("\"url\":\"openapi/v1.json\"", html, StringComparison.Ordinal);
        Assert.Contains("<script src=\"scalar.js\">", html, StringComparison.Ordinal);
        Assert.Equal(200, (int)script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000);
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tally.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Tally.slnx not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Just enough JSON Schema (2020-12 as OpenAPI 3.1 uses it) to hold an answer to its published shape.</summary>
internal static class SchemaCheck
{
    public static void Validate(JsonObject doc, JsonNode schema, JsonNode? value, string at, List<string> errors)
    {
        if (schema["$ref"] is { } r)
        {
            var name = r.GetValue<string>().Split('/')[^1];
            Validate(doc, doc["components"]!["schemas"]![name]!, value, at, errors);
            return;
        }
        foreach (var key in new[] { "anyOf", "oneOf" })
        {
            if (schema[key] is JsonArray options)
            {
                var ok = options.Any(o =>
                {
                    var e = new List<string>();
                    Validate(doc, o!, value, at, e);
                    return e.Count == 0;
                });
                if (!ok)
                {
                    errors.Add($"{at}: matches none of {key}");
                }
                return;
            }
        }
        var types = schema["type"] switch
        {
            JsonArray a => a.Select(t => t!.GetValue<string>()).ToHashSet(),
            JsonValue v => [v.GetValue<string>()],
            _ => null,
        };
        var kind = value switch
        {
            null => "null",
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => "string",
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "number",
        };
        if (types is not null && !types.Contains(kind) && !(kind == "number" && types.Contains("integer")))
        {
            errors.Add($"{at}: is {kind}, schema says {string.Join("|", types)}");
            return;
        }
        if (value is JsonObject obj)
        {
            var props = schema["properties"] as JsonObject;
            foreach (var required in (schema["required"] as JsonArray ?? []).Select(n => n!.GetValue<string>()))
            {
                if (!obj.ContainsKey(required))
                {
                    errors.Add($"{at}: required property {required} missing");
                }
            }
            foreach (var (name, child) in obj)
            {
                if (props?[name] is { } p)
                {
                    Validate(doc, p, child, $"{at}.{name}", errors);
                }
                else if (schema["additionalProperties"] is JsonObject extra)
                {
                    Validate(doc, extra, child, $"{at}.{name}", errors);
                }
                else if (props is not null)
                {
                    errors.Add($"{at}: property {name} is not in the schema");
                }
            }
        }
        else if (value is JsonArray arr && schema["items"] is { } items)
        {
            for (var i = 0; i < arr.Count; i++)
            {
                Validate(doc, items, arr[i], $"{at}[{i}]", errors);
            }
        }
    }
}
