using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using Tally.Contracts;

namespace Tally.Server.Hosting;

/// <summary>
/// The OpenAPI 3.1 document (<c>/openapi/v1.json</c>) and its browsable reference (<c>/docs</c>, Scalar, assets
/// served by this process). RPC routes answer with pre-serialised bytes, so nothing about them can be inferred from
/// their handlers: <see cref="Shapes"/> names each route's request and success types, and a convention attaches
/// them (and the shared error shape) to the endpoint where it is mapped. A route missing from the table fails
/// <c>OpenApiTests</c>, so the two cannot drift apart.
/// </summary>
public static class ApiDocs
{
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>Route → (request body type, success status, success body type).</summary>
    public static readonly IReadOnlyDictionary<string, (Type Request, int Status, Type Response)> Shapes =
        new Dictionary<string, (Type, int, Type)>(StringComparer.Ordinal)
        {
            ["keys.create"] = (typeof(CreateKeyParams), 200, typeof(CreatedApiKey)),
            ["keys.list"] = (typeof(EmptyParams), 200, typeof(ListResponse<ApiKey>)),
            ["keys.revoke"] = (typeof(RevokeKeyParams), 200, typeof(ApiKey)),
            ["features.create"] = (typeof(CreateFeatureParams), 200, typeof(Feature)),
            ["features.get"] = (typeof(GetFeatureParams), 200, typeof(Feature)),
            ["features.list"] = (typeof(EmptyParams), 200, typeof(ListResponse<Feature>)),
            ["features.update"] = (typeof(UpdateFeatureParams), 200, typeof(Feature)),
            ["features.delete"] = (typeof(DeleteFeatureParams), 200, typeof(SuccessResponse)),
            ["plans.create"] = (typeof(CreatePlanParams), 200, typeof(Plan)),
            ["plans.get"] = (typeof(GetPlanParams), 200, typeof(Plan)),
            ["plans.list"] = (typeof(ListPlansParams), 200, typeof(ListResponse<Plan>)),
            ["plans.update"] = (typeof(UpdatePlanParams), 200, typeof(Plan)),
            ["plans.delete"] = (typeof(DeletePlanParams), 200, typeof(SuccessResponse)),
            ["customers.get_or_create"] = (typeof(GetOrCreateCustomerParams), 200, typeof(Customer)),
            ["customers.get"] = (typeof(GetCustomerParams), 200, typeof(Customer)),
            ["customers.list"] = (typeof(ListCustomersParams), 200, typeof(CursorListResponse<Customer>)),
            ["customers.update"] = (typeof(UpdateCustomerParams), 200, typeof(Customer)),
            ["customers.delete"] = (typeof(DeleteCustomerParams), 200, typeof(SuccessResponse)),
            ["customers.advance_test_clock"] = (typeof(AdvanceTestClockParams), 200, typeof(AdvanceTestClockResponse)),
            ["entities.create"] = (typeof(CreateEntityParams), 200, typeof(EntityResponse)),
            ["entities.get"] = (typeof(GetEntityParams), 200, typeof(EntityResponse)),
            ["entities.list"] = (typeof(ListEntitiesParams), 200, typeof(CursorListResponse<EntityResponse>)),
            ["entities.update"] = (typeof(UpdateEntityParams), 200, typeof(EntityResponse)),
            ["entities.delete"] = (typeof(DeleteEntityParams), 200, typeof(SuccessResponse)),
            ["billing.attach"] = (typeof(AttachParams), 200, typeof(AttachResponse)),
            ["billing.update"] = (typeof(UpdateBillingParams), 200, typeof(AttachResponse)),
            ["billing.preview_attach"] = (typeof(AttachParams), 200, typeof(PreviewAttachResponse)),
            ["balances.track"] = (typeof(TrackParams), 200, typeof(BalancesTrackResponse)),
            ["track"] = (typeof(TrackParams), 200, typeof(BalancesTrackResponse)),
            ["balances.check"] = (typeof(CheckParams), 200, typeof(CheckResponse)),
            ["check"] = (typeof(CheckParams), 200, typeof(CheckResponse)),
            ["balances.batch_track"] = (typeof(List<TrackParams>), 202, typeof(SuccessResponse)),
            ["balances.create"] = (typeof(CreateBalanceParams), 200, typeof(SuccessResponse)),
            ["balances.update"] = (typeof(UpdateBalanceParams), 200, typeof(SuccessResponse)),
            ["balances.delete"] = (typeof(DeleteBalanceParams), 200, typeof(SuccessResponse)),
            ["balances.finalize"] = (typeof(FinalizeLockParams), 200, typeof(SuccessResponse)),
            ["events.list"] = (typeof(ListEventsParams), 200, typeof(CursorListResponse<EventItem>)),
            ["webhooks.create"] = (typeof(CreateWebhookParams), 200, typeof(WebhookSecretResponse)),
            ["webhooks.list"] = (typeof(EmptyParams), 200, typeof(ListResponse<WebhookEndpointInfo>)),
            ["webhooks.update"] = (typeof(UpdateWebhookParams), 200, typeof(WebhookEndpointInfo)),
            ["webhooks.delete"] = (typeof(WebhookIdParams), 200, typeof(SuccessResponse)),
            ["webhooks.rotate_secret"] = (typeof(WebhookIdParams), 200, typeof(WebhookSecretResponse)),
            ["webhooks.test"] = (typeof(WebhookIdParams), 200, typeof(WebhookDeliveryQueued)),
            ["webhooks.deliveries"] = (typeof(ListWebhookDeliveriesParams), 200, typeof(CursorListResponse<WebhookDelivery>)),
            ["webhooks.redeliver"] = (typeof(RedeliverWebhookParams), 200, typeof(WebhookDeliveryQueued)),
            ["events.aggregate"] = (typeof(AggregateEventsParams), 200, typeof(AggregateEventsResponse)),
            ["admin.audit"] = (typeof(AuditParams), 200, typeof(AuditLine)),
            ["admin.export_usage"] = (typeof(ExportUsageParams), 200, typeof(UsageExportLine)),
        };

    /// <summary>Routes whose success answer is streamed: its content type; the success type above is then one line of it.</summary>
    public static readonly IReadOnlyDictionary<string, string> Streamed = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["admin.audit"] = "application/x-ndjson",
        ["admin.export_usage"] = "application/x-ndjson",
    };

    // Every RPC route can answer these with ErrorResponse: bad input, bad key, missing object, conflict, fault.
    private static readonly int[] ErrorStatuses = [400, 401, 404, 409, 413, 500];

    public static IServiceCollection AddTallyOpenApi(this IServiceCollection services)
    {
        // The schema generator reads the HTTP JSON options: give it the wire contract's own (snake_case) metadata.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, TallyJsonContext.Default);
        });
        return services.AddOpenApi("v1", o =>
        {
            o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info = new OpenApiInfo
                {
                    Title = "Tally",
                    Version = "v1",
                    Description = "Autumn-compatible usage metering and entitlements. Every /v1 route is POST with a JSON body "
                        + "and `Authorization: Bearer am_sk_…`; errors answer `{message, code}`.",
                };
                doc.Servers = [];
                doc.Components ??= new OpenApiComponents();
                doc.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    ["bearer"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "am_sk_test_… (sandbox) or am_sk_live_… (live)" },
                };
                return Task.CompletedTask;
            });
            o.AddSchemaTransformer((schema, ctx, _) =>
            {
                // The generator marks nullable value types only; the wire also sends null for nullable objects and strings.
                if (ctx.JsonPropertyInfo is { IsGetNullable: true } && schema.Type is { } type && !type.HasFlag(JsonSchemaType.Null))
                {
                    schema.Type = type | JsonSchemaType.Null;
                }
                return Task.CompletedTask;
            });
            o.AddDocumentTransformer(AddRpcRoutesAsync);
        });
    }

    private static async Task AddRpcRoutesAsync(OpenApiDocument doc, OpenApiDocumentTransformerContext ctx, CancellationToken ct)
    {
        doc.Paths ??= [];
        var error = await SchemaRefAsync(doc, ctx, typeof(ErrorResponse), ct).ConfigureAwait(false);
        foreach (var (route, shape) in Shapes.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var dot = route.IndexOf('.', StringComparison.Ordinal);
            var op = new OpenApiOperation
            {
                OperationId = route,
                Summary = $"POST /v1/{route}",
                Tags = new HashSet<OpenApiTagReference> { new(dot > 0 ? route[..dot] : "balances", doc) },
                Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", doc)] = [] }],
                RequestBody = new OpenApiRequestBody
                {
                    Required = false,
                    Description = "JSON body; an empty body means {}",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = await SchemaRefAsync(doc, ctx, shape.Request, ct).ConfigureAwait(false) },
                    },
                },
                Responses = new OpenApiResponses
                {
                    [shape.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Streamed.TryGetValue(route, out var streamed)
                        ? Json("Success, streamed: one JSON object (this schema) per line, ending with a line of type done", await SchemaRefAsync(doc, ctx, shape.Response, ct).ConfigureAwait(false), streamed)
                        : Json("Success", await SchemaRefAsync(doc, ctx, shape.Response, ct).ConfigureAwait(false)),
                },
            };
            foreach (var status in ErrorStatuses)
            {
                op.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Json(ErrorDescription(status), error);
            }
            doc.Paths["/v1/" + route] = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Post] = op } };
        }
        doc.Tags ??= new HashSet<OpenApiTag>();
        foreach (var tag in Shapes.Keys.Select(r => r.Contains('.', StringComparison.Ordinal) ? r[..r.IndexOf('.', StringComparison.Ordinal)] : "balances").Distinct())
        {
            doc.Tags.Add(new OpenApiTag { Name = tag });
        }
    }

    private static OpenApiResponse Json(string description, IOpenApiSchema schema, string contentType = "application/json") => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { [contentType] = new() { Schema = schema } },
    };

    private static string ErrorDescription(int status) => status switch
    {
        400 => "Invalid input (the message names the field); nothing changed",
        401 => "Missing or unknown secret key",
        404 => "A customer, entity, feature or plan named in the request does not exist",
        409 => "Conflict (already exists, or an idempotency key reused with another body)",
        413 => "Body larger than 1 MiB",
        _ => "Internal fault; the request may not have been applied",
    };

    /// <summary>The schema of <paramref name="type"/> as a component of the document (so each type is described once).</summary>
    private static async Task<IOpenApiSchema> SchemaRefAsync(OpenApiDocument doc, OpenApiDocumentTransformerContext ctx, Type type, CancellationToken ct)
    {
        var name = SchemaName(type);
        doc.Components!.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!doc.Components.Schemas.ContainsKey(name))
        {
            var schema = await ctx.GetOrCreateSchemaAsync(type, null, ct).ConfigureAwait(false);
            doc.AddComponent(name, schema);
        }
        return new OpenApiSchemaReference(name, doc);
    }

    private static string SchemaName(Type type) => type.IsGenericType
        ? type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)] + "Of" + string.Join("And", type.GetGenericArguments().Select(SchemaName))
        : type.Name;

    /// <summary>Maps the document and the reference UI (its scripts ship inside Scalar.AspNetCore; nothing is fetched from a CDN).</summary>
    public static void MapTallyDocs(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath).ExcludeFromDescription();
        app.MapScalarApiReference("/docs", o =>
        {
            o.Title = "Tally API";
            o.OpenApiRoutePattern = DocumentPath;
        }).ExcludeFromDescription();
    }
}
