namespace Tally.Contracts;

/// <summary>Stable error codes carried in <see cref="ErrorResponse.Code"/> (Autumn's codes, plus Tally's transport codes).</summary>
public static partial class ErrorCodes
{
    /// <summary>401: no or empty Bearer token.</summary>
    public const string NoSecretKey = "no_secret_key";

    /// <summary>401: unknown secret key.</summary>
    public const string InvalidSecretKey = "invalid_secret_key";

    /// <summary>401: invalid publishable key.</summary>
    public const string InvalidPublishableKey = "invalid_publishable_key";

    /// <summary>401: endpoint not available to publishable keys.</summary>
    public const string EndpointNotPublic = "endpoint_not_public";

    /// <summary>403: key lacks the required scope.</summary>
    public const string InsufficientScopes = "insufficient_scopes";

    /// <summary>400 (default) business-rule error; also 401 bad token prefix and some 404s.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>400: unparseable or unknown <c>x-api-version</c>.</summary>
    public const string InvalidApiVersion = "invalid_api_version";

    /// <summary>400: body failed schema validation.</summary>
    public const string InvalidInputs = "invalid_inputs";

    /// <summary>404: customer not found.</summary>
    public const string CustomerNotFound = "customer_not_found";

    /// <summary>404: entity not found.</summary>
    public const string EntityNotFound = "entity_not_found";

    /// <summary>404: feature not found.</summary>
    public const string FeatureNotFound = "feature_not_found";

    /// <summary>404: plan (product) not found.</summary>
    public const string ProductNotFound = "product_not_found";

    /// <summary>404: plan not attached to the customer or entity.</summary>
    public const string CustomerProductNotFound = "customer_product_not_found";

    /// <summary>400: reject-mode deduction shortfall.</summary>
    public const string InsufficientBalance = "insufficient_balance";

    /// <summary>400: windowed usage cap exceeded in reject mode.</summary>
    public const string UsageLimitExceeded = "usage_limit_exceeded";

    /// <summary>400: creating entities beyond <c>max_purchase</c>.</summary>
    public const string FeatureLimitReached = "feature_limit_reached";

    /// <summary>409: idempotency key reused.</summary>
    public const string DuplicateIdempotencyKey = "duplicate_idempotency_key";

    /// <summary>409: lock id reused while pending.</summary>
    public const string LockAlreadyExists = "lock_already_exists";

    /// <summary>409: feature id already exists.</summary>
    public const string DuplicateFeatureId = "duplicate_feature_id";

    /// <summary>409: customer id already exists.</summary>
    public const string CustomerAlreadyExists = "customer_already_exists";

    /// <summary>409: entity id already exists.</summary>
    public const string EntityAlreadyExists = "entity_already_exists";

    /// <summary>409: plan already attached.</summary>
    public const string PlanAlreadyAttached = "plan_already_attached";

    /// <summary>400: plan id already exists.</summary>
    public const string ProductAlreadyExists = "product_already_exists";

    /// <summary>400: a second id-less entity.</summary>
    public const string EntityIdRequired = "entity_id_required";

    /// <summary>400: malformed pagination cursor.</summary>
    public const string InvalidCursor = "invalid_cursor";

    /// <summary>500: unexpected failure.</summary>
    public const string InternalError = "internal_error";

    /// <summary>413: request body too large.</summary>
    public const string PayloadTooLarge = "payload_too_large";

    /// <summary>404: unknown route.</summary>
    public const string NotFound = "not_found";

    /// <summary>405: known route, wrong HTTP method.</summary>
    public const string MethodNotAllowed = "method_not_allowed";

    /// <summary>No webhook endpoint with this id in the caller's environment.</summary>
    public const string WebhookNotFound = "webhook_not_found";

    /// <summary>No webhook delivery with this id in the caller's environment.</summary>
    public const string WebhookDeliveryNotFound = "webhook_delivery_not_found";
}
