using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Caseline.Messages.Json;

/// <summary>
/// <c>OccurredOn</c>: written in UTC as <c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>, always seven fractional
/// digits; read from any ISO 8601 timestamp, one without an offset being taken as UTC.
/// </summary>
internal sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && TryParse(reader.GetString(), out var value)
            ? value
            : throw new JsonException("expected an ISO 8601 timestamp");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        Span<byte> buffer = stackalloc byte[28];
        value.UtcDateTime.TryFormat(buffer, out var written, Format, CultureInfo.InvariantCulture);
        writer.WriteStringValue(buffer[..written]);
    }

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        // Only ISO 8601 shapes (date, 'T', time); the culture parser alone would take "Feb 15 2019".
        if (text is null || text.Length < 19 || text[4] != '-' || text[7] != '-' || text[10] is not ('T' or 't'))
        {
            return false;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
        {
            return false;
        }

        value = value.ToUniversalTime();
        return true;
    }
}

/// <summary>Vehicle <c>Year</c>: written as a string (<c>"2016"</c>); read from a string or, tolerantly, a whole number.</summary>
internal sealed class YearConverter : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number when reader.TryGetInt32(out var year) => year.ToString(CultureInfo.InvariantCulture),
            _ => throw new JsonException("expected a four-digit year"),
        };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value);
}

/// <summary>Reads and writes a <see cref="ValueList{T}"/> as a JSON array of <typeparamref name="T"/>.</summary>
internal sealed class ValueListConverter<T> : JsonConverter<ValueList<T>>
{
    public override ValueList<T>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("expected an array");
        }

        var itemInfo = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        var items = new List<T>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            items.Add(JsonSerializer.Deserialize(ref reader, itemInfo)!);
        }

        return ValueList.Create<T>(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(items));
    }

    public override void Write(Utf8JsonWriter writer, ValueList<T> value, JsonSerializerOptions options)
    {
        var itemInfo = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        writer.WriteStartArray();
        foreach (var item in value)
        {
            JsonSerializer.Serialize(writer, item, itemInfo);
        }

        writer.WriteEndArray();
    }
}
