using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Api.Webhooks;
using Tally.Server.Http;
using static Tally.Server.Tests.Api.Kit;

namespace Tally.Server.Tests.Api.Webhooks;

/// <summary>The webhooks.* decisions called directly with plain values and what the store answered.</summary>
public sealed class WebhookDecisionTests
{
    private static readonly TenantId Live = new("org_decisions", Env.Live);

    private static readonly WebhookEndpoint Current = new()
    {
        Id = "whe_1",
        Tenant = Tenant,
        Url = "https://hooks.example.com/a",
        Events = ["billing.updated"],
        Description = "billing",
        Secret = "whsec_old",
        CreatedAt = Epoch,
    };

    private static string Message(Reply? reply) => Json(reply!).GetProperty("message").GetString()!;

    [Fact]
    public void CreateWebhookCheck_BadUrlEventsOrDescription_IsInvalidNamingTheField()
    {
        CreateWebhookParams P(string url, List<string>? events = null, string? description = null) =>
            new() { Url = url, Events = events, Description = description };

        Assert.StartsWith("url:", Message(CreateWebhook.Check(Tenant, P(""), false)), StringComparison.Ordinal);
        Assert.StartsWith("url:", Message(CreateWebhook.Check(Tenant, P("ftp://hooks.example.com"), false)), StringComparison.Ordinal);
        Assert.StartsWith("url:", Message(CreateWebhook.Check(Tenant, P("https://user:pw@hooks.example.com"), false)), StringComparison.Ordinal);
        Assert.StartsWith("events:", Message(CreateWebhook.Check(Tenant, P("https://hooks.example.com", ["nope"]), false)), StringComparison.Ordinal);
        Assert.StartsWith("description:", Message(CreateWebhook.Check(Tenant, P("https://hooks.example.com", null, new string('d', 257)), false)),
            StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.InvalidInputs, Code(CreateWebhook.Check(Tenant, P(""), false)!));
        Assert.Null(CreateWebhook.Check(Tenant, P("https://hooks.example.com", ["billing.updated"], "d"), false));
    }

    [Fact]
    public void CreateWebhookCheck_PrivateAddress_OnlyForSandboxOrWhenAllowed()
    {
        var local = new CreateWebhookParams { Url = "http://127.0.0.1:9000/hook" };

        Assert.Null(CreateWebhook.Check(Tenant, local, false));
        Assert.StartsWith("url:", Message(CreateWebhook.Check(Live, local, false)), StringComparison.Ordinal);
        Assert.Null(CreateWebhook.Check(Live, local, true));
    }

    [Fact]
    public void CreateWebhookEndpoint_RepeatedEventsCountOnce_EmptyFilterMeansEvery()
    {
        var filtered = CreateWebhook.Endpoint(Tenant, new CreateWebhookParams
        {
            Url = "https://hooks.example.com",
            Events = ["billing.updated", "webhook.test", "billing.updated"],
            Description = "d",
        }, "whe_9", "whsec_new", Now);
        var every = CreateWebhook.Endpoint(Tenant, new CreateWebhookParams { Url = "https://hooks.example.com", Events = [] }, "whe_9", "s", Now);

        Assert.Equal(("whe_9", Tenant, "https://hooks.example.com", "d", "whsec_new", Now),
            (filtered.Id, filtered.Tenant, filtered.Url, filtered.Description, filtered.Secret, filtered.CreatedAt));
        Assert.Equal(["billing.updated", "webhook.test"], filtered.Events!);
        Assert.Null(every.Events);
    }

    [Fact]
    public void UpdateWebhookCheck_EmptyIdOrBadField_IsInvalid_AbsentUrlIsFine()
    {
        Assert.StartsWith("id:", Message(UpdateWebhook.Check(Tenant, new UpdateWebhookParams { Id = " " }, false)), StringComparison.Ordinal);
        Assert.StartsWith("url:", Message(UpdateWebhook.Check(Tenant, new UpdateWebhookParams { Id = "whe_1", Url = "nope" }, false)),
            StringComparison.Ordinal);
        Assert.StartsWith("events:", Message(UpdateWebhook.Check(Tenant, new UpdateWebhookParams { Id = "whe_1", Events = ["x"] }, false)),
            StringComparison.Ordinal);
        Assert.Null(UpdateWebhook.Check(Tenant, new UpdateWebhookParams { Id = "whe_1" }, false));
    }

    [Fact]
    public void UpdateWebhookApply_ReplacesOnlyTheFieldsGiven()
    {
        var untouched = UpdateWebhook.Apply(Current, new UpdateWebhookParams { Id = "whe_1" });
        var changed = UpdateWebhook.Apply(Current, new UpdateWebhookParams
        {
            Id = "whe_1",
            Url = "https://hooks.example.com/b",
            Events = ["webhook.test", "webhook.test"],
            Description = "new",
            Disabled = true,
        });
        var every = UpdateWebhook.Apply(Current, new UpdateWebhookParams { Id = "whe_1", Events = [] });

        Assert.Equal(Current, untouched);
        Assert.Equal(("https://hooks.example.com/b", "new", true, "whsec_old"), (changed.Url, changed.Description, changed.Disabled, changed.Secret));
        Assert.Equal(["webhook.test"], changed.Events!);
        Assert.Null(every.Events);
    }

    [Fact]
    public void RotateWebhookSecretRotate_OldSecretKeepsSigningForTheOverlap()
    {
        var rotated = RotateWebhookSecret.Rotate(Current, "whsec_new", Now);

        Assert.Equal(("whsec_new", "whsec_old", Now + WebhookSigning.RotationOverlap),
            (rotated.Secret, rotated.PreviousSecret, rotated.PreviousSecretExpiresAt!.Value));
        Assert.Equal((Current.Url, Current.Events), (rotated.Url, rotated.Events));
    }

    [Fact]
    public void CheckIdAndDeleteWebhookAnswer_EmptyIdIsInvalid_MissingEndpointIsNotFound()
    {
        var empty = WebhookWire.CheckId(Tenant, new WebhookIdParams { Id = "" });
        var missing = DeleteWebhook.Answer(Tenant, "whe_x", false);

        Assert.Equal((400, ErrorCodes.InvalidInputs), (empty!.Status, Code(empty)));
        Assert.StartsWith("id:", Message(empty), StringComparison.Ordinal);
        Assert.Null(WebhookWire.CheckId(Tenant, new WebhookIdParams { Id = "whe_1" }));
        Assert.Equal(Reply.Success.Body, DeleteWebhook.Answer(Tenant, "whe_1", true).Body);
        Assert.Equal((404, ErrorCodes.WebhookNotFound), (missing.Status, Code(missing)));
        Assert.Contains("whe_x", Message(missing), StringComparison.Ordinal);
    }

    [Fact]
    public void RedeliverWebhook_EmptyIdIsInvalid_QueuedAnswersTheId_MissingIsNotFound()
    {
        var empty = RedeliverWebhook.Check(Tenant, new RedeliverWebhookParams { DeliveryId = "" });
        var queued = RedeliverWebhook.Answer(Tenant, "whd_1", true);
        var missing = RedeliverWebhook.Answer(Tenant, "whd_x", false);

        Assert.StartsWith("delivery_id:", Message(empty), StringComparison.Ordinal);
        Assert.Null(RedeliverWebhook.Check(Tenant, new RedeliverWebhookParams { DeliveryId = "whd_1" }));
        Assert.Equal("whd_1", JsonSerializer.Deserialize(queued.Body, TallyJsonContext.Default.WebhookDeliveryQueued)!.DeliveryId);
        Assert.Equal((404, ErrorCodes.WebhookDeliveryNotFound), (missing.Status, Code(missing)));
    }

    [Fact]
    public void TestWebhookPayload_IsATestEventNamingTheEndpointAndTime()
    {
        var json = JsonDocument.Parse(TestWebhook.Payload("whe_\"1", Now)).RootElement;

        Assert.Equal("webhook.test", json.GetProperty("type").GetString());
        Assert.Equal("whe_\"1", json.GetProperty("data").GetProperty("webhook_id").GetString());
        Assert.Equal(Now.ToUnixTimeMilliseconds(), json.GetProperty("data").GetProperty("sent_at").GetInt64());
    }

    [Fact]
    public void ListWebhooksAnswer_EndpointsWithoutSecrets_EmptyFilterListsNoEvents()
    {
        var reply = ListWebhooks.Answer([Current, Current with { Id = "whe_2", Events = null }]);
        var list = JsonSerializer.Deserialize(reply.Body, TallyJsonContext.Default.ListResponseWebhookEndpointInfo)!.List;

        Assert.Equal(["whe_1", "whe_2"], list.Select(e => e.Id));
        Assert.Equal(["billing.updated"], list[0].Events);
        Assert.Empty(list[1].Events);
        Assert.DoesNotContain("whsec_old", System.Text.Encoding.UTF8.GetString(reply.Body), StringComparison.Ordinal);
    }

    [Fact]
    public void ListWebhookDeliveriesQuery_BadStatusLimitOrCursor_IsInvalid_ElseAsksOneMore()
    {
        ListWebhookDeliveriesParams P(string? status = null, int? limit = null, string? cursor = null) =>
            new() { WebhookId = "whe_1", Status = status, Limit = limit, Cursor = cursor };

        Assert.StartsWith("status:", Message(ListWebhookDeliveries.Query(Tenant, P("done")).Invalid), StringComparison.Ordinal);
        Assert.StartsWith("limit:", Message(ListWebhookDeliveries.Query(Tenant, P(limit: 0)).Invalid), StringComparison.Ordinal);
        Assert.StartsWith("limit:", Message(ListWebhookDeliveries.Query(Tenant, P(limit: ListWebhookDeliveries.MaxLimit + 1)).Invalid),
            StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.InvalidCursor, Code(ListWebhookDeliveries.Query(Tenant, P(cursor: "evt_1")).Invalid!));
        Assert.Equal(ErrorCodes.InvalidCursor, Code(ListWebhookDeliveries.Query(Tenant, P(cursor: "whd_" + new string('0', 61))).Invalid!));

        var (query, invalid) = ListWebhookDeliveries.Query(Tenant, P("failed", 5, "whd_9"));
        var (defaults, _) = ListWebhookDeliveries.Query(Tenant, P());

        Assert.Null(invalid);
        Assert.Equal(new WebhookDeliveryQuery("whe_1", WebhookDeliveryStatus.Failed, "whd_9", 6), query);
        Assert.Equal(new WebhookDeliveryQuery("whe_1", null, null, ListWebhookDeliveries.DefaultLimit + 1), defaults);
    }

    [Fact]
    public void ListWebhookDeliveriesAnswer_OneMoreThanTheLimit_GivesAPageAndTheLastIdAsCursor()
    {
        static WebhookDeliveryInfo D(int n, WebhookDeliveryStatus status) => new($"whd_{n}", "whe_1", $"msg_{n}", "billing.updated", status, 1,
            Now.AddMinutes(-n), Now.AddMinutes(1), [new WebhookAttempt(Now, 500, 12, null, "no")]);
        var rows = new[] { D(3, WebhookDeliveryStatus.Pending), D(2, WebhookDeliveryStatus.Delivered), D(1, WebhookDeliveryStatus.Failed) };

        var page = JsonSerializer.Deserialize(ListWebhookDeliveries.Answer(rows, 2).Body,
            TallyJsonContext.Default.CursorListResponseWebhookDelivery)!;
        var last = JsonSerializer.Deserialize(ListWebhookDeliveries.Answer(rows[2..], 2).Body,
            TallyJsonContext.Default.CursorListResponseWebhookDelivery)!;

        Assert.Equal(["whd_3", "whd_2"], page.List.Select(d => d.Id));
        Assert.Equal("whd_2", page.NextCursor);
        Assert.Equal(["pending", "delivered"], page.List.Select(d => d.Status));
        Assert.Equal([Now.AddMinutes(1).ToUnixTimeMilliseconds(), null], page.List.Select(d => d.NextAttemptAt));
        Assert.Equal(500, Assert.Single(page.List[0].Attempts).Status);
        Assert.Null(last.NextCursor);
    }
}
