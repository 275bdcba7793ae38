using System.Buffers;
using System.Text.Json;
using Tally.Contracts;
using Tally.Core.Engine;

namespace Tally.Server.Mapping;

/// <summary>
/// The balances.track and balances.check answers written straight from the engine's balances, byte for byte what
/// <see cref="TallyJsonContext"/> writes for the <see cref="BalancesTrackResponse"/> / <see cref="CheckResponse"/> that
/// <see cref="BalanceWire"/> maps them to (BalanceJsonTests holds the two side by side over random balances).
/// Why not the serializer: a balance lists every live grant of the feature, and with a stack of grants the answer was
/// mostly JSON of grants the request never touched. The entries of a customer's cached balance
/// (<see cref="BreakdownItem.Shared"/>) keep their rendered bytes on the entry itself, so they are rendered once per
/// change of their source and then copied; the cache lives on the customer's state and goes with it, nothing global.
/// Everything else (flags, previews, deductions, rollovers, entries made for one request) goes through the serializer.
/// </summary>
public static class BalanceJson
{
    private static readonly JsonEncodedText CustomerId = JsonEncodedText.Encode("customer_id");
    private static readonly JsonEncodedText EntityId = JsonEncodedText.Encode("entity_id");
    private static readonly JsonEncodedText EventName = JsonEncodedText.Encode("event_name");
    private static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText BalanceName = JsonEncodedText.Encode("balance");
    private static readonly JsonEncodedText Balances = JsonEncodedText.Encode("balances");
    private static readonly JsonEncodedText Deductions = JsonEncodedText.Encode("deductions");
    private static readonly JsonEncodedText Allowed = JsonEncodedText.Encode("allowed");
    private static readonly JsonEncodedText RequiredBalance = JsonEncodedText.Encode("required_balance");
    private static readonly JsonEncodedText FlagName = JsonEncodedText.Encode("flag");
    private static readonly JsonEncodedText Preview = JsonEncodedText.Encode("preview");
    private static readonly JsonEncodedText FeatureId = JsonEncodedText.Encode("feature_id");
    private static readonly JsonEncodedText Granted = JsonEncodedText.Encode("granted");
    private static readonly JsonEncodedText Remaining = JsonEncodedText.Encode("remaining");
    private static readonly JsonEncodedText Usage = JsonEncodedText.Encode("usage");
    private static readonly JsonEncodedText Unlimited = JsonEncodedText.Encode("unlimited");
    private static readonly JsonEncodedText OverageAllowed = JsonEncodedText.Encode("overage_allowed");
    private static readonly JsonEncodedText MaxPurchase = JsonEncodedText.Encode("max_purchase");
    private static readonly JsonEncodedText NextResetAt = JsonEncodedText.Encode("next_reset_at");
    private static readonly JsonEncodedText Breakdown = JsonEncodedText.Encode("breakdown");
    private static readonly JsonEncodedText Rollovers = JsonEncodedText.Encode("rollovers");

    private static readonly Func<BreakdownItem, byte[]> Render =
        static i => JsonSerializer.SerializeToUtf8Bytes(BalanceWire.ToWire(i), TallyJsonContext.Default.BalanceBreakdown);

    /// <summary>The balances.track answer (<see cref="BalancesTrackResponse"/>); <paramref name="balances"/> null to omit it.</summary>
    public static byte[] Track(string customerId, string? entityId, string? eventName, decimal value, BalanceSummary? balance,
        IReadOnlyList<(string FeatureId, BalanceSummary? Balance)>? balances, List<Deduction>? deductions)
    {
        var buffer = AnswerBuffer.Rent();
        try
        {
            var j = buffer.Writer;
            j.WriteStartObject();
            j.WriteString(CustomerId, customerId);
            if (entityId is not null)
            {
                j.WriteString(EntityId, entityId);
            }
            if (eventName is not null)
            {
                j.WriteString(EventName, eventName);
            }
            j.WriteNumber(Value, value);
            j.WritePropertyName(BalanceName);
            Write(j, balance);
            WriteMap(j, balances);
            if (deductions is not null)
            {
                j.WritePropertyName(Deductions);
                JsonSerializer.Serialize(j, deductions, TallyJsonContext.Default.ListDeduction);
            }
            j.WriteEndObject();
            return buffer.ToArray();
        }
        finally
        {
            AnswerBuffer.Return(buffer);
        }
    }

    /// <summary>The balances.check answer (<see cref="CheckResponse"/>); <paramref name="balances"/> null to omit it.</summary>
    public static byte[] Check(bool allowed, string customerId, string? entityId, decimal? requiredBalance, BalanceSummary? balance,
        IReadOnlyList<(string FeatureId, BalanceSummary? Balance)>? balances, Flag? flag, CheckPreview? preview)
    {
        var buffer = AnswerBuffer.Rent();
        try
        {
            var j = buffer.Writer;
            j.WriteStartObject();
            j.WriteBoolean(Allowed, allowed);
            j.WriteString(CustomerId, customerId);
            if (entityId is not null)
            {
                j.WriteString(EntityId, entityId);
            }
            if (requiredBalance is { } required)
            {
                j.WriteNumber(RequiredBalance, required);
            }
            j.WritePropertyName(BalanceName);
            Write(j, balance);
            WriteMap(j, balances);
            j.WritePropertyName(FlagName);
            if (flag is null)
            {
                j.WriteNullValue();
            }
            else
            {
                JsonSerializer.Serialize(j, flag, TallyJsonContext.Default.Flag);
            }
            if (preview is not null)
            {
                j.WritePropertyName(Preview);
                JsonSerializer.Serialize(j, preview, TallyJsonContext.Default.CheckPreview);
            }
            j.WriteEndObject();
            return buffer.ToArray();
        }
        finally
        {
            AnswerBuffer.Return(buffer);
        }
    }

    // A Dictionary<string, Balance?> in the map's order (the serializer writes a dictionary in insertion order).
    private static void WriteMap(Utf8JsonWriter j, IReadOnlyList<(string FeatureId, BalanceSummary? Balance)>? balances)
    {
        if (balances is null)
        {
            return;
        }
        j.WritePropertyName(Balances);
        j.WriteStartObject();
        foreach (var (featureId, b) in balances)
        {
            j.WritePropertyName(featureId);
            Write(j, b);
        }
        j.WriteEndObject();
    }

    /// <summary>A <see cref="Balance"/> as <see cref="BalanceWire.ToWire(BalanceSummary?)"/> maps it, or null.</summary>
    public static void Write(Utf8JsonWriter j, BalanceSummary? b)
    {
        if (b is null)
        {
            j.WriteNullValue();
            return;
        }
        j.WriteStartObject();
        j.WriteString(FeatureId, b.FeatureId);
        j.WriteNumber(Granted, b.Granted);
        j.WriteNumber(Remaining, b.Remaining);
        j.WriteNumber(Usage, b.Usage);
        j.WriteBoolean(Unlimited, b.Unlimited);
        j.WriteBoolean(OverageAllowed, b.OverageAllowed);
        if (b.MaxPurchase is { } max)
        {
            j.WriteNumber(MaxPurchase, max);
        }
        else
        {
            j.WriteNull(MaxPurchase);
        }
        if (b.NextResetAt is { } next)
        {
            j.WriteNumber(NextResetAt, BalanceWire.Ms(next));
        }
        else
        {
            j.WriteNull(NextResetAt);
        }
        j.WriteStartArray(Breakdown);
        var items = b.Breakdown;
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item.Shared)
            {
                j.WriteRawValue(item.Rendered(Render), skipInputValidation: true);
            }
            else
            {
                JsonSerializer.Serialize(j, BalanceWire.ToWire(item), TallyJsonContext.Default.BalanceBreakdown);
            }
        }
        j.WriteEndArray();
        if (b.Rollovers.Count > 0)
        {
            j.WritePropertyName(Rollovers);
            JsonSerializer.Serialize(j, BalanceWire.ToWire(b.Rollovers), TallyJsonContext.Default.ListBalanceRollover);
        }
        j.WriteEndObject();
    }

    /// <summary>
    /// A writer and its buffer, reused by the thread that rents it (one answer at a time); one grown past
    /// <see cref="MaxKept"/> bytes is dropped after use rather than kept, so an occasional huge answer pins nothing.
    /// </summary>
    private sealed class AnswerBuffer
    {
        private const int MaxKept = 256 * 1024;

        [ThreadStatic]
        private static AnswerBuffer? t_free;

        private readonly ArrayBufferWriter<byte> _bytes = new(4096);

        private AnswerBuffer()
        {
            var options = TallyJsonContext.Default.Options;
            Writer = new Utf8JsonWriter(_bytes, new JsonWriterOptions
            {
                Encoder = options.Encoder,
                Indented = options.WriteIndented,
                MaxDepth = options.MaxDepth,
                SkipValidation = true,
            });
        }

        public Utf8JsonWriter Writer { get; }

        public static AnswerBuffer Rent()
        {
            var b = t_free ?? new AnswerBuffer();
            t_free = null;
            return b;
        }

        public byte[] ToArray()
        {
            Writer.Flush();
            return _bytes.WrittenSpan.ToArray();
        }

        public static void Return(AnswerBuffer b)
        {
            if (b._bytes.Capacity > MaxKept)
            {
                return;
            }
            b._bytes.ResetWrittenCount();
            b.Writer.Reset(b._bytes);
            t_free = b;
        }
    }
}
