using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Caseline.Messages.Json;

/// <summary>
/// Writes messages in the exact wire format: <c>Client</c>, <c>Activity</c>, <c>Details</c> (with
/// <c>SubType</c> first), <c>Action</c>; every field present, <c>null</c> when it has no value;
/// dates as <c>yyyy-MM-dd</c>; <c>OccurredOn</c> in UTC with seven fractional digits; compact UTF-8.
/// The same message always gives the same bytes.
/// </summary>
public static class MessageWriter
{
    /// <summary>The message as UTF-8 JSON bytes.</summary>
    public static byte[] ToUtf8Bytes(ClientMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(message, MessageJsonContext.Writing.ClientMessage);

    /// <summary>The message as a JSON string.</summary>
    public static string ToJson(ClientMessage message) => Encoding.UTF8.GetString(ToUtf8Bytes(message));

    /// <summary>Appends the message's UTF-8 JSON to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, ClientMessage message)
    {
        using var writer = new Utf8JsonWriter(output, MessageJsonContext.WriterOptions);
        JsonSerializer.Serialize(writer, message, MessageJsonContext.Writing.ClientMessage);
    }

    /// <summary>Writes the message as the next value of <paramref name="writer"/> (for example inside a feed page).</summary>
    public static void Write(Utf8JsonWriter writer, ClientMessage message) =>
        JsonSerializer.Serialize(writer, message, MessageJsonContext.Writing.ClientMessage);

    /// <summary>One section's details (with <c>SubType</c> first) as UTF-8 JSON bytes: the same bytes a message carries as its <c>Details</c>.</summary>
    public static byte[] DetailsToUtf8Bytes(SectionDetails details) =>
        JsonSerializer.SerializeToUtf8Bytes(details, MessageJsonContext.Writing.SectionDetails);

    /// <summary>Writes one section's details (with <c>SubType</c> first) as the next value of <paramref name="writer"/>.</summary>
    public static void WriteDetails(Utf8JsonWriter writer, SectionDetails details) =>
        JsonSerializer.Serialize(writer, details, MessageJsonContext.Writing.SectionDetails);
}
