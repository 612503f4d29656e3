using System.Text.Json.Nodes;
using Caseline.Messages.Json;

namespace Caseline.Messages.Tests;

/// <summary>The source document's example is the contract: it must read, and write back unchanged (plus SubType).</summary>
public sealed class SeedExampleTests
{
    /// <summary>The example as printed in the source document (the page separates its lines with blank lines).</summary>
    internal static string SeedJson()
    {
        var page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "client-profile-message.txt"));
        var start = page.IndexOf('{', StringComparison.Ordinal);
        var end = page.IndexOf("Details Element", StringComparison.Ordinal);
        return page[start..page.LastIndexOf('}', end)] + "}";
    }

    [Fact]
    public void The_seed_example_reads_as_a_personal_details_update()
    {
        var message = MessageReader.Read(SeedJson());

        Assert.Equal("EX123456", message.Client.IntegrationId);
        Assert.Equal(Guid.Empty, message.Activity.Identifier);
        Assert.Equal("ClientProfile", message.Activity.Type);
        Assert.Equal(ChangeVerb.Updated, message.Verb);
        Assert.Equal(new DateTimeOffset(2019, 2, 15, 14, 52, 23, TimeSpan.Zero).AddTicks(272547), message.Action.OccurredOn);
        Assert.Equal("officer@county.org", message.Action.UpdatedBy);
        Assert.Equal(
            new PersonalDetails("Johnathan", "Farmer", new DateOnly(1980, 5, 28), "Mountain Standard Time", "Male", "Caucasian", "High - Violence", "High - Mental Health"),
            message.Details);
    }

    [Fact]
    public void The_seed_example_is_written_back_with_the_same_properties_values_and_order_plus_SubType()
    {
        var seed = JsonNode.Parse(SeedJson())!.AsObject();

        var written = JsonNode.Parse(MessageWriter.ToUtf8Bytes(MessageReader.Read(SeedJson())))!.AsObject();

        Assert.Equal(Names(seed), Names(written));
        foreach (var (name, seedValue) in seed)
        {
            var expected = seedValue!.AsObject();
            var actual = written[name]!.AsObject();
            var expectedNames = name == "Details" ? ["SubType", .. Names(expected)] : Names(expected);
            Assert.Equal(expectedNames, Names(actual));
            foreach (var (field, value) in expected)
            {
                Assert.True(JsonNode.DeepEquals(value, actual[field]), $"{name}.{field} changed: {value} became {actual[field]}");
            }
        }

        Assert.Equal("Personal Details", (string?)written["Details"]!["SubType"]);
    }

    [Fact]
    public void The_seed_example_is_written_byte_for_byte_in_the_compact_wire_form()
    {
        const string expected =
            """{"Client":{"IntegrationId":"EX123456"},"Activity":{"Identifier":"00000000-0000-0000-0000-000000000000","Type":"ClientProfile"}"""
            + ""","Details":{"SubType":"Personal Details","FirstName":"Johnathan","LastName":"Farmer","DateOfBirth":"1980-05-28","TimeZone":"Mountain Standard Time","Gender":"Male","Ethinicity":"Caucasian","StaticRiskRating":"High - Violence","NeedsClassification":"High - Mental Health"}"""
            + ""","Action":{"Reason":"Personal Details Updated","OccurredOn":"2019-02-15T14:52:23.0272547Z","UpdatedBy":"officer@county.org"}}""";

        Assert.Equal(expected, MessageWriter.ToJson(MessageReader.Read(SeedJson())));
    }

    private static string[] Names(JsonObject value) => [.. value.Select(p => p.Key)];
}
