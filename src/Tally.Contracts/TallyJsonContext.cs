using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Source-generated JSON contract of the Autumn-compatible wire format (snake_case, strict numbers).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    RespectNullableAnnotations = true,
    Converters = [typeof(LenientInt64Converter), typeof(LenientInt32Converter)])]
// Common
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(SuccessResponse))]
[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(EmptyParams))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(string))]
// Features
[JsonSerializable(typeof(CreateFeatureParams))]
[JsonSerializable(typeof(GetFeatureParams))]
[JsonSerializable(typeof(UpdateFeatureParams))]
[JsonSerializable(typeof(DeleteFeatureParams))]
[JsonSerializable(typeof(Feature))]
[JsonSerializable(typeof(ListResponse<Feature>))]
// Plans
[JsonSerializable(typeof(CreatePlanParams))]
[JsonSerializable(typeof(GetPlanParams))]
[JsonSerializable(typeof(ListPlansParams))]
[JsonSerializable(typeof(UpdatePlanParams))]
[JsonSerializable(typeof(DeletePlanParams))]
[JsonSerializable(typeof(Plan))]
[JsonSerializable(typeof(ListResponse<Plan>))]
// Customers
[JsonSerializable(typeof(GetOrCreateCustomerParams))]
[JsonSerializable(typeof(GetCustomerParams))]
[JsonSerializable(typeof(ListCustomersParams))]
[JsonSerializable(typeof(UpdateCustomerParams))]
[JsonSerializable(typeof(DeleteCustomerParams))]
[JsonSerializable(typeof(Customer))]
[JsonSerializable(typeof(CursorListResponse<Customer>))]
[JsonSerializable(typeof(AdvanceTestClockParams))]
[JsonSerializable(typeof(AdvanceTestClockResponse))]
// Entities
[JsonSerializable(typeof(CreateEntityParams))]
[JsonSerializable(typeof(GetEntityParams))]
[JsonSerializable(typeof(ListEntitiesParams))]
[JsonSerializable(typeof(UpdateEntityParams))]
[JsonSerializable(typeof(DeleteEntityParams))]
[JsonSerializable(typeof(EntityResponse))]
[JsonSerializable(typeof(CursorListResponse<EntityResponse>))]
// Balances
[JsonSerializable(typeof(Balance))]
[JsonSerializable(typeof(TrackParams))]
[JsonSerializable(typeof(List<TrackParams>))]
[JsonSerializable(typeof(BalancesTrackResponse))]
[JsonSerializable(typeof(CheckParams))]
[JsonSerializable(typeof(CheckResponse))]
[JsonSerializable(typeof(CreateBalanceParams))]
[JsonSerializable(typeof(UpdateBalanceParams))]
[JsonSerializable(typeof(DeleteBalanceParams))]
[JsonSerializable(typeof(FinalizeLockParams))]
// Events
[JsonSerializable(typeof(ListEventsParams))]
[JsonSerializable(typeof(AggregateEventsParams))]
[JsonSerializable(typeof(AggregateEventsResponse))]
[JsonSerializable(typeof(EventItem))]
[JsonSerializable(typeof(CursorListResponse<EventItem>))]
// Billing
[JsonSerializable(typeof(AttachParams))]
[JsonSerializable(typeof(AttachResponse))]
[JsonSerializable(typeof(UpdateBillingParams))]
[JsonSerializable(typeof(PreviewAttachResponse))]
// Webhooks
[JsonSerializable(typeof(CreateWebhookParams))]
[JsonSerializable(typeof(UpdateWebhookParams))]
[JsonSerializable(typeof(WebhookIdParams))]
[JsonSerializable(typeof(ListWebhookDeliveriesParams))]
[JsonSerializable(typeof(RedeliverWebhookParams))]
[JsonSerializable(typeof(WebhookEndpointInfo))]
[JsonSerializable(typeof(ListResponse<WebhookEndpointInfo>))]
[JsonSerializable(typeof(WebhookSecretResponse))]
[JsonSerializable(typeof(CursorListResponse<WebhookDelivery>))]
[JsonSerializable(typeof(WebhookDeliveryQueued))]
// Keys
[JsonSerializable(typeof(CreateKeyParams))]
[JsonSerializable(typeof(RevokeKeyParams))]
[JsonSerializable(typeof(ApiKey))]
[JsonSerializable(typeof(CreatedApiKey))]
[JsonSerializable(typeof(ListResponse<ApiKey>))]
// Admin
[JsonSerializable(typeof(AuditParams))]
[JsonSerializable(typeof(AuditLine))]
[JsonSerializable(typeof(ExportUsageParams))]
[JsonSerializable(typeof(UsageExportLine))]
public sealed partial class TallyJsonContext : JsonSerializerContext;
