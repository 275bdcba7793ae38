using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tally.Core.Domain;

namespace Tally.Storage;

/// <summary>
/// What both stores write to the outbox for a notification: a time-ordered id (the <c>webhook-id</c> receivers
/// deduplicate on, the same for every retry) and Autumn's payload <c>{type, data}</c>.
/// </summary>
public static class WebhookOutbox
{
    /// <summary>Prefix, 12 hex digits of milliseconds and 16 random hex digits: sorts by creation time.</summary>
    public static string NewId(string prefix, DateTimeOffset now) =>
        prefix + now.ToUnixTimeMilliseconds().ToString("x12", CultureInfo.InvariantCulture)
        + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static string Payload(Notification n)
    {
        ArgumentNullException.ThrowIfNull(n);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", n.Type);
            w.WritePropertyName("data");
            w.WriteStartObject();
            switch (n)
            {
                case UsageAlertTriggered a:
                    w.WriteString("customer_id", a.CustomerId);
                    w.WriteString("feature_id", a.FeatureId);
                    OptionalEntity(w, a);
                    w.WriteStartObject("usage_alert");
                    if (a.AlertName is not null)
                    {
                        w.WriteString("name", a.AlertName);
                    }
                    w.WriteNumber("threshold", a.Threshold);
                    w.WriteString("threshold_type", a.ThresholdType);
                    w.WriteEndObject();
                    break;
                case LimitReached l:
                    w.WriteString("customer_id", l.CustomerId);
                    OptionalEntity(w, l);
                    w.WriteString("feature_id", l.FeatureId);
                    w.WriteString("limit_type", l.LimitType);
                    break;
                case PlansChanged p:
                    w.WriteString("object", "billing.updated");
                    w.WriteString("customer_id", p.CustomerId);
                    w.WriteString("entity_id", p.EntityId);
                    w.WriteStartArray("plan_changes");
                    foreach (var c in p.Changes)
                    {
                        w.WriteStartObject();
                        w.WriteString("action", c.Action);
                        w.WriteStartObject("subscription");
                        w.WriteString("plan_id", c.PlanId);
                        w.WriteNumber("version", c.Version);
                        w.WriteString("status", c.Action switch { "expired" => "expired", "scheduled" => "scheduled", _ => "active" });
                        w.WriteEndObject();
                        w.WriteNull("previous_attributes");
                        w.WriteStartArray("item_changes");
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteStartArray("tags");
                    w.WriteEndArray();
                    break;
                default:
                    w.WriteString("customer_id", n.CustomerId);
                    OptionalEntity(w, n);
                    break;
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void OptionalEntity(Utf8JsonWriter w, Notification n)
    {
        if (n.EntityId is not null)
        {
            w.WriteString("entity_id", n.EntityId);
        }
    }
}
