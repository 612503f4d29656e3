using System.Text.Json.Nodes;

namespace Caseline.Messages.Tests;

/// <summary>
/// Builds the JSON Schema the shipped file must equal, from the same field table that drives
/// validation. Run the tests with CASELINE_UPDATE_SCHEMA=1 to rewrite the file after a change.
/// </summary>
internal static class SchemaGenerator
{
    private const string TextPattern = "^[^\\u0000-\\u001F\\u007F-\\u009F<>]*$";

    public static JsonObject Build()
    {
        var defs = new JsonObject();
        foreach (var section in Section.All)
        {
            defs[DefName(section)] = SectionSchema(section);
        }

        defs["Offense"] = ObjectSchema(Section.CaseDetails.Fields.Single(f => f.Kind == FieldKind.List).ItemFields, subType: null);

        var sectionNames = string.Join("|", Section.All.Select(s => s.Name));
        return new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "urn:caseline:schema:client-profile-message:v1",
            ["title"] = "Caseline client profile message",
            ["description"] = "One Transmit message: the whole current state of one changed profile section or item. Every property is always present; a field without a value is null.",
            ["type"] = "object",
            ["required"] = Array("Client", "Activity", "Details", "Action"),
            ["additionalProperties"] = false,
            ["properties"] = new JsonObject
            {
                ["Client"] = Object(new JsonObject { ["IntegrationId"] = Identifier() }),
                ["Activity"] = Object(new JsonObject
                {
                    ["Identifier"] = new JsonObject
                    {
                        ["type"] = "string",
                        ["pattern"] = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                    },
                    ["Type"] = new JsonObject { ["const"] = ClientMessage.ClientProfileType },
                }),
                ["Details"] = new JsonObject
                {
                    ["oneOf"] = new JsonArray([.. Section.All.Select(s => (JsonNode)new JsonObject { ["$ref"] = $"#/$defs/{DefName(s)}" })]),
                },
                ["Action"] = Object(new JsonObject
                {
                    ["Reason"] = new JsonObject
                    {
                        ["type"] = "string",
                        ["pattern"] = $"^({sectionNames}) (Created|Updated|Removed)$",
                    },
                    ["OccurredOn"] = new JsonObject
                    {
                        ["type"] = "string",
                        ["pattern"] = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{7}Z$",
                    },
                    ["UpdatedBy"] = FieldSchema(Messages.Validation.MessageValidator.ActionUpdatedBy),
                }),
            },
            ["$defs"] = defs,
        };
    }

    public static string DefName(Section section) => section.Name.Replace(" ", "", StringComparison.Ordinal);

    private static JsonObject SectionSchema(Section section) => ObjectSchema(section.Fields, section.Name);

    private static JsonObject ObjectSchema(IReadOnlyList<FieldSpec> fields, string? subType)
    {
        var properties = new JsonObject();
        if (subType is not null)
        {
            properties["SubType"] = new JsonObject { ["const"] = subType };
        }

        foreach (var field in fields)
        {
            properties[field.Name] = FieldSchema(field);
        }

        var schema = new JsonObject { ["type"] = "object" };
        if (subType is not null)
        {
            schema["title"] = subType;
        }

        schema["required"] = new JsonArray([.. properties.Select(p => (JsonNode)JsonValue.Create(p.Key))]);
        schema["additionalProperties"] = false;
        schema["properties"] = properties;
        return schema;
    }

    private static JsonObject FieldSchema(FieldSpec field)
    {
        JsonNode Type(string type) => field.IsRequired ? type : Array(type, "null");
        var schema = new JsonObject();
        switch (field.Kind)
        {
            case FieldKind.Identifier:
                return Identifier();
            case FieldKind.Text:
                schema["type"] = Type("string");
                if (field.IsRequired)
                {
                    schema["minLength"] = 1;
                }

                schema["maxLength"] = field.MaxLength;
                schema["pattern"] = TextPattern;
                break;
            case FieldKind.Enumeration:
                var allowed = Array([.. field.AllowedValues]);
                if (!field.IsRequired)
                {
                    allowed.Add(null);
                }

                schema["enum"] = allowed;
                break;
            case FieldKind.Date:
                schema["type"] = Type("string");
                schema["format"] = "date";
                schema["pattern"] = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
                break;
            case FieldKind.Year:
                schema["type"] = Type("string");
                schema["pattern"] = "^[0-9]{4}$";
                break;
            case FieldKind.Email:
                schema["type"] = Type("string");
                schema["format"] = "email";
                schema["maxLength"] = field.MaxLength;
                break;
            case FieldKind.TimeZone:
                schema["type"] = Type("string");
                schema["minLength"] = 1;
                schema["maxLength"] = field.MaxLength;
                break;
            case FieldKind.Number:
                schema["type"] = Type("number");
                schema["minimum"] = field.Minimum;
                schema["maximum"] = field.Maximum;
                break;
            case FieldKind.Boolean:
                schema["type"] = Type("boolean");
                break;
            case FieldKind.List:
                schema["type"] = "array";
                schema["maxItems"] = field.MaxItems;
                schema["items"] = new JsonObject { ["$ref"] = "#/$defs/Offense" };
                break;
            default:
                throw new InvalidOperationException($"No schema for {field.Kind}");
        }

        return schema;
    }

    private static JsonObject Identifier() => new()
    {
        ["type"] = "string",
        ["minLength"] = 1,
        ["maxLength"] = Messages.Validation.MessageValidator.ClientIntegrationId.MaxLength,
        ["pattern"] = "^[A-Za-z0-9._:~-]+$",
    };

    private static JsonObject Object(JsonObject properties) => new()
    {
        ["type"] = "object",
        ["required"] = new JsonArray([.. properties.Select(p => (JsonNode)JsonValue.Create(p.Key))]),
        ["additionalProperties"] = false,
        ["properties"] = properties,
    };

    private static JsonArray Array(params string[] values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
}
