using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Caseline.Messages.Json;
using Json.Schema;

namespace Caseline.Messages.Tests;

/// <summary>The shipped JSON Schema, checked by an independent validator against what the library writes.</summary>
public sealed class SchemaTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(MessageSchema.Text));

    private static bool IsValid(JsonNode message)
    {
        using var document = JsonDocument.Parse(message.ToJsonString());
        return Schema.Value.Evaluate(document.RootElement).IsValid;
    }

    private static JsonObject Written(SectionDetails details) =>
        JsonNode.Parse(MessageWriter.ToUtf8Bytes(Samples.Message(details)))!.AsObject();

    [Fact]
    public void The_shipped_schema_is_the_one_the_field_table_describes()
    {
        var expected = SchemaGenerator.Build().ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }) + "\n";
        var path = Path.Combine(RepositoryRoot(), "src", "Caseline.Messages", "Schema", "client-profile-message.schema.json");
        if (Environment.GetEnvironmentVariable("CASELINE_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, expected);
        }

        Assert.True(expected == MessageSchema.Text,
            "The schema has drifted from the field table: run the tests once with CASELINE_UPDATE_SNAPSHOTS=1 and review the diff.");
    }

    [Fact]
    public void Every_section_the_library_writes_validates()
    {
        foreach (var details in Samples.OnePerSection.Concat(RoundTripTests.OddValues.Select(row => row.Data.Item2)))
        {
            Assert.True(IsValid(Written(details)), details.SubType);
        }
    }

    [Fact]
    public void Random_messages_the_library_writes_validate()
    {
        for (var seed = 0; seed < 500; seed++)
        {
            var details = Samples.Random(new Random(seed));
            Assert.True(IsValid(Written(details)), $"seed {seed}: {details.SubType}");
        }
    }

    public static TheoryData<string> Breakages =>
    [
        "no Client",
        "extra top-level property",
        "Details field missing",
        "Details unknown field",
        "SubType unknown",
        "SubType of another section",
        "Identifier upper case",
        "Type other",
        "Reason unknown verb",
        "OccurredOn three digits",
        "OccurredOn with offset",
        "Year as number",
        "Wage as string",
        "Wage negative",
        "Date with time",
        "text too long",
        "text with control character",
        "enumeration off the list",
        "boolean as string",
        "offense field missing",
        "item id missing",
        "item id with space",
    ];

    [Theory]
    [MemberData(nameof(Breakages))]
    public void Broken_messages_do_not_validate(string breakage)
    {
        var message = Written(Samples.OnePerSection.Single(d => d.SubType == BrokenSection(breakage)));
        var details = message["Details"]!.AsObject();
        var action = message["Action"]!.AsObject();
        Assert.True(IsValid(message), "the unbroken message must validate");

        switch (breakage)
        {
            case "no Client": message.Remove("Client"); break;
            case "extra top-level property": message["Extra"] = 1; break;
            case "Details field missing": details.Remove("Address"); break;
            case "Details unknown field": details["Country"] = "US"; break;
            case "SubType unknown": details["SubType"] = "Address Detail"; break;
            case "SubType of another section": details["SubType"] = "Contact Details"; break;
            case "Identifier upper case": message["Activity"]!["Identifier"] = "0190F0B4-5D2C-7C3E-8A1B-2F4E6D8C0A12"; break;
            case "Type other": message["Activity"]!["Type"] = "ClientAlert"; break;
            case "Reason unknown verb": action["Reason"] = "Address Details Changed"; break;
            case "OccurredOn three digits": action["OccurredOn"] = "2019-02-15T14:52:23.027Z"; break;
            case "OccurredOn with offset": action["OccurredOn"] = "2019-02-15T14:52:23.0272547+00:00"; break;
            case "Year as number": details["Year"] = 2016; break;
            case "Wage as string": details["Wage"] = "23.75"; break;
            case "Wage negative": details["Wage"] = -1; break;
            case "Date with time": details["CaseDate"] = "2019-01-07T00:00:00"; break;
            case "text too long": details["Address"] = new string('x', 501); break;
            case "text with control character": details["Address"] = "1 Main\nSt"; break;
            case "enumeration off the list": details["AddressType"] = "home"; break;
            case "boolean as string": details["NoContact"] = "true"; break;
            case "offense field missing": details["Offenses"]![0]!.AsObject().Remove("Statute"); break;
            case "item id missing": details.Remove("IntegrationId"); break;
            case "item id with space": details["IntegrationId"] = "a b"; break;
            default: throw new ArgumentOutOfRangeException(nameof(breakage));
        }

        Assert.False(IsValid(message), breakage);
    }

    private static string BrokenSection(string breakage) => breakage switch
    {
        "Year as number" => "Vehicle Details",
        "Wage as string" or "Wage negative" => "Employment Details",
        "Date with time" or "offense field missing" => "Case Details",
        "boolean as string" => "Protective Order Details",
        _ => "Address Details",
    };

    [Fact]
    public void The_schema_is_shipped_as_a_file_beside_the_library()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "Schema", "client-profile-message.schema.json");

        Assert.Equal(MessageSchema.Text, File.ReadAllText(shipped));
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Caseline.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Caseline.slnx not found above " + AppContext.BaseDirectory);
    }
}
