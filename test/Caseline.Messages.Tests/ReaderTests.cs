using System.Text;
using System.Text.Json;
using Caseline.Messages.Json;

namespace Caseline.Messages.Tests;

public sealed class ReaderTests
{
    private const string Envelope =
        """{"Client":{"IntegrationId":"EX1"},"Activity":{"Identifier":"0190f0b4-5d2c-7c3e-8a1b-2f4e6d8c0a12","Type":"ClientProfile"},"Details":DETAILS,"Action":{"Reason":"REASON","OccurredOn":"2019-02-15T14:52:23.0272547Z","UpdatedBy":"officer@county.org"}}""";

    private static ClientMessage Read(string details, string reason = "Personal Details Updated") =>
        MessageReader.Read(Envelope.Replace("DETAILS", details, StringComparison.Ordinal).Replace("REASON", reason, StringComparison.Ordinal));

    [Fact]
    public void Property_names_are_matched_in_any_case()
    {
        var message = MessageReader.Read(
            """{"client":{"integrationid":"EX1"},"ACTIVITY":{"IDENTIFIER":"0190f0b4-5d2c-7c3e-8a1b-2f4e6d8c0a12","type":"clientprofile"}"""
            + ""","details":{"subtype":"personal details","firstname":"Ann","LASTNAME":"Lee","DateofBirth":"1990-01-02"}"""
            + ""","action":{"reason":"Personal Details Updated","occurredon":"2019-02-15T14:52:23.0272547Z","updatedby":"u"}}""");

        Assert.Equal("EX1", message.Client.IntegrationId);
        Assert.Equal("ClientProfile", message.Activity.Type);
        Assert.Equal(new PersonalDetails("Ann", "Lee", new DateOnly(1990, 1, 2), null, null, null, null, null), message.Details);
    }

    [Theory]
    [InlineData("Ethinicity")]
    [InlineData("Ethnicity")]
    [InlineData("ethnicity")]
    public void Both_spellings_of_ethnicity_are_read(string name)
    {
        var details = (PersonalDetails)Read($$"""{"FirstName":"A","{{name}}":"Hispanic"}""").Details;

        Assert.Equal("Hispanic", details.Ethinicity);
    }

    [Fact]
    public void The_wire_spelling_wins_when_both_spellings_appear()
    {
        var details = (PersonalDetails)Read("""{"FirstName":"A","Ethnicity":"Other","Ethinicity":"Wire"}""").Details;

        Assert.Equal("Wire", details.Ethinicity);
    }

    [Theory]
    [InlineData("StayAwayLocation")]
    [InlineData("StayAwayLocations")]
    public void Both_spellings_of_stay_away_location_are_read(string name)
    {
        var details = (ProtectiveOrderDetails)Read($$"""{"SubType":"Protective Order Details","IntegrationId":"po","{{name}}":"The school"}""", "Protective Order Details Created").Details;

        Assert.Equal("The school", details.StayAwayLocation);
    }

    [Fact]
    public void Statute_is_read_in_the_tables_lower_case_spelling()
    {
        var details = (CaseDetails)Read("""{"SubType":"Case Details","IntegrationId":"c","Offenses":[{"label":"x","statute":"18-4-203","isprimary":true}]}""", "Case Details Updated").Details;

        Assert.Equal(new Offense("x", null, "18-4-203", null, true), details.Offenses.Single());
    }

    [Fact]
    public void A_missing_SubType_is_inferred_from_the_reason()
    {
        // Status alone could be an account or a case: the reason decides.
        var message = Read("""{"Status":"Inactive"}""", "Account Details Updated");

        Assert.Equal(new AccountDetails("Inactive", null, null), message.Details);
    }

    [Theory]
    [InlineData("""{"AddressType":"Home","Address":"1 Main","IntegrationId":"a"}""", "Address Details")]
    [InlineData("""{"ContactType":"HomePhone","Contact":"555","IntegrationId":"c"}""", "Contact Details")]
    [InlineData("""{"Make":"Ford","Year":2016,"IntegrationId":"v"}""", "Vehicle Details")]
    [InlineData("""{"Employer":"Acme","Wage":10,"IntegrationId":"e"}""", "Employment Details")]
    [InlineData("""{"CaseNumber":"1","Status":"Open","IntegrationId":"c"}""", "Case Details")]
    [InlineData("""{"OrderType":"x","StayAwayLocations":"y","IntegrationId":"p"}""", "Protective Order Details")]
    [InlineData("""{"Email":"a@b.co"}""", "Email Details")]
    [InlineData("""{"Status":"Active","AssignedOfficer":"o"}""", "Account Details")]
    [InlineData("""{"FirstName":"A","Ethnicity":"x"}""", "Personal Details")]
    public void A_missing_SubType_is_inferred_from_the_fields_when_the_reason_does_not_name_a_section(string details, string section)
    {
        Assert.Equal(section, Read(details, "Changed").Details.SubType);
    }

    [Fact]
    public void Unknown_properties_are_ignored_everywhere()
    {
        var message = MessageReader.Read(
            """{"Version":2,"Client":{"IntegrationId":"EX1","Extra":[1,2]},"Activity":{"Identifier":"0190f0b4-5d2c-7c3e-8a1b-2f4e6d8c0a12","Type":"ClientProfile","Source":"cms"}"""
            + ""","Details":{"SubType":"Email Details","Email":"a@b.co","Verified":true,"Nested":{"x":null}}"""
            + ""","Action":{"Reason":"Email Details Created","OccurredOn":"2019-02-15T14:52:23.0272547Z","UpdatedBy":"u","Ip":"10.0.0.1"}}""");

        Assert.Equal(new EmailDetails("a@b.co"), message.Details);
    }

    [Fact]
    public void A_vehicle_year_given_as_a_number_is_read_as_its_string()
    {
        var details = (VehicleDetails)Read("""{"SubType":"Vehicle Details","IntegrationId":"v","Make":"Ford","Year":2016}""", "Vehicle Details Created").Details;

        Assert.Equal("2016", details.Year);
    }

    [Theory]
    [InlineData("2019-02-15T14:52:23.0272547Z")]
    [InlineData("2019-02-15T07:52:23.0272547-07:00")]
    [InlineData("2019-02-15T14:52:23.0272547")]
    public void OccurredOn_is_read_from_any_iso_8601_form_as_utc(string occurredOn)
    {
        var message = MessageReader.Read(
            Envelope.Replace("DETAILS", """{"Email":null}""", StringComparison.Ordinal)
                .Replace("REASON", "Email Details Updated", StringComparison.Ordinal)
                .Replace("2019-02-15T14:52:23.0272547Z", occurredOn, StringComparison.Ordinal));

        Assert.Equal(new DateTimeOffset(2019, 2, 15, 14, 52, 23, TimeSpan.Zero).AddTicks(272547), message.Action.OccurredOn);
        Assert.Equal(TimeSpan.Zero, message.Action.OccurredOn.Offset);
    }

    [Fact]
    public void Details_for_a_sync_body_take_the_section_and_item_id_from_the_caller()
    {
        using var body = JsonDocument.Parse("""{"addresstype":"Work","address":"2 Elm"}""");

        var details = MessageReader.ReadDetails(body.RootElement, Section.AddressDetails, "ADDR-9");

        Assert.Equal(new AddressDetails("ADDR-9", "Work", "2 Elm"), details);
    }

    [Fact]
    public void A_body_whose_SubType_disagrees_with_the_expected_section_is_refused()
    {
        using var body = JsonDocument.Parse("""{"SubType":"Contact Details","Contact":"555"}""");

        var error = Assert.Throws<MessageFormatException>(() => MessageReader.ReadDetails(body.RootElement, Section.AddressDetails, "a"));
        Assert.Equal("$.SubType", error.Path);
    }

    public static TheoryData<string, string, string?> Garbage => new()
    {
        { "", "The input is not valid JSON (line 1, byte 1).", null },
        { """{"Client":{"IntegrationId":"EX1"},"Activi""", "The input is not valid JSON (line 1, byte 42).", null },
        { "[1,2]", "A Caseline message must be a JSON object, not an array.", "$" },
        { "42", "A Caseline message must be a JSON object, not a number.", "$" },
        { "null", "A Caseline message must be a JSON object, not null.", "$" },
        { "{} {}", "The input holds more than one JSON value.", "$" },
        { "{}", "The message has no Client.", "$.Client" },
        { """{"Client":[]}""", "Client must be a JSON object, not an array.", "$.Client" },
        { """{"Client":{},"Activity":{},"Details":{},"Action":{}}""", "Client.IntegrationId is missing.", "$.Client.IntegrationId" },
        { """{"Client":{"IntegrationId":7},"Activity":{},"Details":{},"Action":{}}""", "IntegrationId must be a string, not a number.", "$.Client.IntegrationId" },
        { """{"Client":{"IntegrationId":"x"},"Activity":{"Identifier":"nope"},"Details":{},"Action":{}}""", "Activity.Identifier is not a UUID.", "$.Activity.Identifier" },
        { """{"Client":{"IntegrationId":"x"},"Activity":{"Identifier":"0190f0b4-5d2c-7c3e-8a1b-2f4e6d8c0a12","Type":"ClientAlert"},"Details":{},"Action":{}}""", "Activity.Type is not \"ClientProfile\": this is not a client profile message.", "$.Activity.Type" },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Garbage_in_gives_a_clear_format_error(string input, string message, string? path)
    {
        var error = Assert.Throws<MessageFormatException>(() => MessageReader.Read(input));

        Assert.Equal(message, error.Message);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_in_a_name_or_a_string_are_skipped_or_a_format_error_never_a_crash()
    {
        var message = System.Text.Encoding.UTF8.GetBytes(
            """{"Client":{"IntegrationId":"x"},"Activity":{"Identifier":"0190f0b4-5d2c-7c3e-8a1b-2f4e6d8c0a12","Type":"ClientProfile"},"Details":{"SubType":"Email Details","Email":"a@b.co"},"Action":{"Reason":"Email Details Created","OccurredOn":"2026-01-01T00:00:00Z","UpdatedBy":"u"}}""");
        var inName = message.ToArray();
        inName[System.Text.Encoding.UTF8.GetString(message).IndexOf("\"Email\":", StringComparison.Ordinal) + 1] = 0xFF;
        var inValue = message.ToArray();
        inValue[Array.IndexOf(inValue, (byte)'@')] = 0xC3;

        foreach (var body in new[] { inName, inValue })
        {
            var error = Record.Exception(() => MessageReader.Read(body));
            Assert.True(error is null or MessageFormatException, error?.ToString());
        }

        Assert.Throws<MessageFormatException>(() => MessageReader.Read(inValue));
    }

    [Theory]
    [InlineData("""{"SubType":"Employment Details","IntegrationId":"e","Wage":"lots"}""", "Employment Details Updated", "$.Details.Wage")]
    [InlineData("""{"SubType":"Personal Details","FirstName":5}""", "Personal Details Updated", "$.Details.FirstName")]
    [InlineData("""{"SubType":"Personal Details","DateOfBirth":"1980-02-30"}""", "Personal Details Updated", "$.Details.DateOfBirth")]
    [InlineData("""{"SubType":"Protective Order Details","IntegrationId":"p","NoContact":"yes"}""", "Protective Order Details Updated", "$.Details.NoContact")]
    [InlineData("""{"SubType":"Case Details","IntegrationId":"c","Offenses":{"Label":"x"}}""", "Case Details Updated", "$.Details.Offenses")]
    [InlineData("""{"SubType":"Vehicle Details","IntegrationId":"v","Year":20.5}""", "Vehicle Details Updated", "$.Details.Year")]
    [InlineData("""{"SubType":"Personal Details","Ethnicity":["x"]}""", "Personal Details Updated", "$.Details.Ethnicity")]
    [InlineData("""{"SubType":"Address Details","Address":"1 Main"}""", "Address Details Updated", "$.Details.IntegrationId")]
    [InlineData("""{"SubType":"Nonsense Details"}""", "Personal Details Updated", "$.Details.SubType")]
    [InlineData("""{"SubType":3}""", "Personal Details Updated", "$.Details.SubType")]
    [InlineData("""{"Status":"Active"}""", "Something", "$.Details")]
    [InlineData("""[]""", "Personal Details Updated", "$.Details")]
    public void Wrong_types_and_unreadable_details_name_the_offending_path(string details, string reason, string path)
    {
        var error = Assert.Throws<MessageFormatException>(() => Read(details, reason));

        Assert.Equal(path, error.Path);
        Assert.DoesNotContain("lots", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_and_random_corruption_of_a_message_fails_only_with_a_format_error()
    {
        var bytes = MessageWriter.ToUtf8Bytes(Samples.Message(Samples.Case));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<MessageFormatException>(() => MessageReader.Read(bytes.AsSpan(0, length)));
        }

        var random = new Random(42);
        for (var i = 0; i < 5_000; i++)
        {
            var corrupt = (byte[])bytes.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                corrupt[random.Next(corrupt.Length)] = (byte)"{}[]\":,0a \\nt"[random.Next(13)];
            }

            try
            {
                MessageReader.Read(corrupt);
            }
            catch (MessageFormatException)
            {
            }
        }
    }

    [Fact]
    public async Task A_message_can_be_read_from_a_stream()
    {
        var message = Samples.Message(Samples.Vehicle);
        using var stream = new MemoryStream(MessageWriter.ToUtf8Bytes(message));

        Assert.Equal(message, await MessageReader.ReadAsync(stream, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<MessageFormatException>(() => MessageReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes("[")), TestContext.Current.CancellationToken));
    }
}
