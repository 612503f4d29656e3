using System.Text;
using System.Text.Json;
using Caseline.Client;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Cli.Clients;

/// <summary>How profiles and messages look in a terminal, and as JSON lines.</summary>
internal static class Rendering
{
    /// <summary>A section's fields with values, as <c>Name: value</c> lines (nested lists as compact JSON).</summary>
    public static string Fields(SectionDetails details)
    {
        using var document = JsonDocument.Parse(MessageWriter.DetailsToUtf8Bytes(details));
        var text = new StringBuilder();
        foreach (var field in document.RootElement.EnumerateObject())
        {
            if (field.Name is "SubType" or "IntegrationId" || field.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            text.Append(text.Length == 0 ? "" : "\n").Append(field.Name).Append(": ")
                .Append(field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString() : field.Value.GetRawText());
        }

        return text.ToString();
    }

    public static TextTable Profile(ClientProfile profile)
    {
        var table = Tables.Of("Section", "Item", "Fields");
        table.Title = profile.IntegrationId;
        foreach (var section in profile.Sections)
        {
            table.Row(section.SubType, (section as ItemDetails)?.IntegrationId, Fields(section));
        }

        return table;
    }

    public static void WriteProfile(Invocation run, ClientProfile profile)
    {
        if (run.Json)
        {
            run.WriteJson(profile, MessageJsonContext.Default.ClientProfile);
        }
        else
        {
            run.Write(Profile(profile));
        }
    }

    /// <summary>A feed entry as one JSON line: <c>{"Position":…,"OwnEcho":…,"Message":{…}}</c>, the message byte for byte as stored.</summary>
    public static void WriteEntry(TextWriter output, FeedItem item)
    {
        var line = new System.Buffers.ArrayBufferWriter<byte>(item.Body.Length + 64);
        using (var writer = new Utf8JsonWriter(line))
        {
            writer.WriteStartObject();
            writer.WriteNumber("Position", item.Position);
            writer.WriteBoolean("OwnEcho", item.OwnEcho);
            writer.WritePropertyName("Message");
            writer.WriteRawValue(item.Body.Span, skipInputValidation: true);
            writer.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(line.WrittenSpan));
    }

    public static TextTable Messages(IEnumerable<FeedItem> items)
    {
        var table = Tables.Of("Position", "When (UTC)", "Reason", "Item", "By", "Fields");
        foreach (var item in items)
        {
            var message = item.Message;
            table.Row(
                item.Position.ToString(System.Globalization.CultureInfo.InvariantCulture),
                message.Action.OccurredOn.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                message.Action.Reason, (message.Details as ItemDetails)?.IntegrationId, message.Action.UpdatedBy, Fields(message.Details));
        }

        return table;
    }
}
