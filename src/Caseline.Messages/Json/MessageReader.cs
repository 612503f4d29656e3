using System.Text;
using System.Text.Json;

namespace Caseline.Messages.Json;

/// <summary>
/// Reads messages tolerantly: property names in any case, <c>Ethnicity</c> or <c>Ethinicity</c>,
/// <c>StayAwayLocation</c> or <c>StayAwayLocations</c>, unknown properties ignored, and a missing
/// <c>SubType</c> inferred from <c>Action.Reason</c> or from the fields present. Anything that is not
/// a Caseline message raises <see cref="MessageFormatException"/> naming what is wrong and where.
/// Reading does not validate: use <see cref="Validation.MessageValidator"/> for the field rules.
/// </summary>
public static class MessageReader
{
    /// <summary>Reads one message from UTF-8 JSON.</summary>
    /// <exception cref="MessageFormatException">The input is not a Caseline message.</exception>
    public static ClientMessage Read(ReadOnlySpan<byte> utf8Json)
    {
        using var document = Parse(utf8Json);
        return Read(document.RootElement);
    }

    /// <summary>Reads one message from a JSON string.</summary>
    /// <exception cref="MessageFormatException">The input is not a Caseline message.</exception>
    public static ClientMessage Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Read(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Reads one message from a stream of UTF-8 JSON (a webhook body, say).</summary>
    /// <exception cref="MessageFormatException">The input is not a Caseline message.</exception>
    public static async Task<ClientMessage> ReadAsync(Stream utf8Json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(utf8Json, default, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw NotJson(e);
        }

        using (document)
        {
            return Read(document.RootElement);
        }
    }

    /// <summary>Reads one message from an already parsed JSON value.</summary>
    /// <exception cref="MessageFormatException">The value is not a Caseline message.</exception>
    public static ClientMessage Read(JsonElement message)
    {
        try
        {
            return ReadMessage(message);
        }
        catch (InvalidOperationException e) when (e.InnerException is DecoderFallbackException)
        {
            // The parser checks a string's or a name's UTF-8 only when it is read.
            throw new MessageFormatException("The input is not valid UTF-8.", "$", e);
        }
    }

    private static ClientMessage ReadMessage(JsonElement message)
    {
        RequireObject(message, "$", "A Caseline message");
        var client = RequiredObject(message, "Client", "$");
        var activity = RequiredObject(message, "Activity", "$");
        var details = RequiredObject(message, "Details", "$");
        var action = RequiredObject(message, "Action", "$");

        var clientId = RequiredString(client, "IntegrationId", "$.Client");
        var identifier = RequiredString(activity, "Identifier", "$.Activity");
        if (!Guid.TryParse(identifier, out var activityId))
        {
            throw new MessageFormatException("Activity.Identifier is not a UUID.", "$.Activity.Identifier");
        }

        var type = RequiredString(activity, "Type", "$.Activity");
        if (!string.Equals(type, ClientMessage.ClientProfileType, StringComparison.OrdinalIgnoreCase))
        {
            throw new MessageFormatException(
                $"Activity.Type is not \"{ClientMessage.ClientProfileType}\": this is not a client profile message.", "$.Activity.Type");
        }

        var reason = RequiredString(action, "Reason", "$.Action");
        if (!UtcTimestampConverter.TryParse(RequiredString(action, "OccurredOn", "$.Action"), out var occurredOn))
        {
            throw new MessageFormatException("Action.OccurredOn is not an ISO 8601 timestamp.", "$.Action.OccurredOn");
        }

        var updatedBy = RequiredString(action, "UpdatedBy", "$.Action");
        var reasonSection = ClientMessage.TryParseReason(reason, out var named, out _) ? named : null;
        var sectionDetails = ReadDetails(details, "$.Details", section: null, fallback: reasonSection, itemIntegrationId: null);

        return new ClientMessage(
            new ClientReference(clientId),
            new MessageActivity(activityId, ClientMessage.ClientProfileType),
            sectionDetails,
            new MessageAction(reason, occurredOn, updatedBy));
    }

    /// <summary>
    /// Reads one section's details, such as a Sync request body. The section is <paramref name="section"/>
    /// when given (a <c>SubType</c> in the body must then agree), else the body's <c>SubType</c>, else
    /// inferred from the fields present.
    /// </summary>
    /// <param name="details">The JSON object.</param>
    /// <param name="section">The section the caller expects, or null to take it from the body.</param>
    /// <param name="itemIntegrationId">For an item, its identifier when it comes from elsewhere (a URL path); it wins over the body's.</param>
    /// <exception cref="MessageFormatException">The value is not readable as that section.</exception>
    public static SectionDetails ReadDetails(JsonElement details, Section? section = null, string? itemIntegrationId = null) =>
        ReadDetails(details, "$", section, fallback: null, itemIntegrationId);

    /// <summary>Reads one section's details from UTF-8 JSON; see <see cref="ReadDetails(JsonElement, Section?, string?)"/>.</summary>
    /// <exception cref="MessageFormatException">The input is not readable as that section.</exception>
    public static SectionDetails ReadDetails(ReadOnlySpan<byte> utf8Json, Section? section = null, string? itemIntegrationId = null)
    {
        using var document = Parse(utf8Json);
        return ReadDetails(document.RootElement, section, itemIntegrationId);
    }

    private static SectionDetails ReadDetails(JsonElement details, string path, Section? section, Section? fallback, string? itemIntegrationId)
    {
        RequireObject(details, path, "Details");
        var subType = OptionalString(details, "SubType", path);
        if (subType is not null)
        {
            var named = Section.Find(subType)
                ?? throw new MessageFormatException("SubType names no known section.", path + ".SubType");
            if (section is not null && named != section)
            {
                throw new MessageFormatException($"SubType does not match the section \"{section.Name}\".", path + ".SubType");
            }

            section = named;
        }

        section ??= fallback
            ?? Section.InferFromFields(details.EnumerateObject().Select(p => p.Name))
            ?? throw new MessageFormatException("Details has no SubType, and neither the reason nor the fields tell which section it is.", path);

        SectionDetails value;
        try
        {
            value = (SectionDetails)details.Deserialize(MessageJsonContext.Reading.Options.GetTypeInfo(section.DetailsType))!;
        }
        catch (JsonException e)
        {
            var where = path + (e.Path is { Length: > 1 } p ? p[1..] : "");
            throw new MessageFormatException($"{where} has a value of the wrong type for {section.Name}.", where, e);
        }

        value = ApplyAliases(value, details, path);
        if (value is ItemDetails item)
        {
            if (itemIntegrationId is not null)
            {
                value = item with { IntegrationId = itemIntegrationId };
            }
            else if (item.IntegrationId is null)
            {
                throw new MessageFormatException($"{section.Name} has no IntegrationId.", path + ".IntegrationId");
            }
        }

        return value;
    }

    // The two spellings the original system's documents disagree on; the canonical name wins when both appear.
    private static SectionDetails ApplyAliases(SectionDetails value, JsonElement details, string path) => value switch
    {
        PersonalDetails p when p.Ethinicity is null =>
            p with { Ethinicity = OptionalString(details, "Ethnicity", path) },
        ProtectiveOrderDetails o when o.StayAwayLocation is null =>
            o with { StayAwayLocation = OptionalString(details, "StayAwayLocations", path) },
        _ => value,
    };

    private static JsonDocument Parse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            var document = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                document.Dispose();
                throw new MessageFormatException("The input holds more than one JSON value.", "$");
            }

            return document;
        }
        catch (JsonException e)
        {
            throw NotJson(e);
        }
    }

    private static MessageFormatException NotJson(JsonException e) =>
        new($"The input is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).", null, e);

    private static void RequireObject(JsonElement element, string path, string what)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new MessageFormatException($"{what} must be a JSON object, not {Describe(element.ValueKind)}.", path);
        }
    }

    private static JsonElement RequiredObject(JsonElement parent, string name, string path)
    {
        if (!TryGetProperty(parent, name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new MessageFormatException($"The message has no {name}.", $"{path}.{name}");
        }

        RequireObject(value, $"{path}.{name}", name);
        return value;
    }

    private static string RequiredString(JsonElement parent, string name, string path) =>
        OptionalString(parent, name, path)
        ?? throw new MessageFormatException($"{path[2..]}.{name} is missing.", $"{path}.{name}");

    private static string? OptionalString(JsonElement parent, string name, string path)
    {
        if (!TryGetProperty(parent, name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new MessageFormatException($"{name} must be a string, not {Describe(value.ValueKind)}.", $"{path}.{name}");
    }

    private static bool TryGetProperty(JsonElement parent, string name, out JsonElement value)
    {
        if (parent.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in parent.EnumerateObject())
        {
            if (property.NameEquals(name) || string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "an object",
    };
}
